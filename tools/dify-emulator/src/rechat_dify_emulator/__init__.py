"""A faithful emulator of Dify's Service API for tests, benchmarks and the demo."""
