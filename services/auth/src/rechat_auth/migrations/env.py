"""Alembic environment of auth (its own version table, `alembic_version_auth`)."""

from rechat_auth.models import Base
from rechat_shared.migrations import run_env

run_env(Base.metadata)
