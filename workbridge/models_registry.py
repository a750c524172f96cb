"""Import every context's tables so SQLModel.metadata is complete (Alembic, tests, create_all)."""

import activation.models
import activation.replay.models
import benefits.models
import kernel.models
import kernel.parameter_versions
import matching.models
import notifications.models
import training.models

__all__ = ["activation", "benefits", "kernel", "matching", "notifications", "training"]
