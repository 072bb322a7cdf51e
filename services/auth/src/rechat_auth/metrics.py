"""Auth's Prometheus counters (served on `/metrics` with the shared HTTP ones)."""

from __future__ import annotations

from prometheus_client import Counter

LOGINS = Counter(
    "rechat_auth_logins_total",
    "Login attempts by outcome",
    ["outcome"],  # success, invalid_credentials, account_disabled, throttled
)
REFRESHES = Counter(
    "rechat_auth_refreshes_total",
    "Refresh-token presentations by outcome",
    ["outcome"],  # rotated, invalid, reused
)
