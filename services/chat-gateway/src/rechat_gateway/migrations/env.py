"""Alembic environment of the gateway (its own version table, `alembic_version_gateway`)."""

from rechat_gateway.models import Base
from rechat_shared.migrations import run_env

run_env(Base.metadata)
