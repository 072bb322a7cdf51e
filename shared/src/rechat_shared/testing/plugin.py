"""pytest plugin: fixtures for real infrastructure, loaded by every test run (see pyproject)."""
