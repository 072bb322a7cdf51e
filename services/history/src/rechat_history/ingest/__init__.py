"""Event ingest: turns bus events into conversation, message, feedback and usage rows."""
