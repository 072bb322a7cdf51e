"""Prometheus metrics of the worker."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GENERATIONS = Counter(
    "rechat_worker_generations_total", "Finished generations", ["outcome", "mode"]
)
ACTIVE = Gauge("rechat_worker_active_generations", "Generations in progress")
FIRST_TOKEN = Histogram(
    "rechat_worker_first_token_seconds",
    "From taking the request to the first delta",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STREAM_EVENTS = Counter("rechat_worker_stream_events_total", "Stream events written")
