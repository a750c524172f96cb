"""Shared kernel: what every bounded context may import (and nothing else may be imported here)."""
