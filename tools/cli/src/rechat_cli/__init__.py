"""The rechat command: dev, migrate, create-admin, serve."""
