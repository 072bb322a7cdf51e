"""Alembic environment of history (its own version table, `alembic_version_history`)."""

from rechat_history.models import Base
from rechat_shared.migrations import run_env

run_env(Base.metadata)
