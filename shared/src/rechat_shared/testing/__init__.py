"""Test helpers for real infrastructure (MariaDB, Redis, RabbitMQ, service processes)."""
