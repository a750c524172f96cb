"""Import every context's tables so SQLModel.metadata is complete (Alembic, tests, create_all)."""

import benefits.models
import kernel.models
import notifications.models

__all__ = ["benefits", "kernel", "notifications"]
