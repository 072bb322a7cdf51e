"""Dify's `/parameters` of each app, cached in Redis and refreshed when the app changes."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from rechat_shared.dify import AppParameters, DifyApp, DifyClient, DifyError
from rechat_shared.redis import Keys

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0
FAILURE_TTL = 30
"""A failed fetch is remembered briefly so a down Dify does not slow every apps listing."""


class ParametersCache:
    """`get(app_id, version, dify_app)` → the app's parameters as a dict, or `{}` when Dify is
    unreachable. The version is a digest of the base URL and encrypted key: an edit refreshes it.
    """

    def __init__(self, redis: Redis, keys: Keys, dify: DifyClient, ttl: int) -> None:
        self._redis = redis
        self._keys = keys
        self._dify = dify
        self._ttl = ttl

    def _key(self, app_id: str, version: str) -> str:
        return self._keys.app_parameters(app_id, version)

    async def get(self, app_id: str, version: str, app: DifyApp) -> dict[str, Any]:
        key = self._key(app_id, version)
        try:
            cached = await self._redis.get(key)
        except RedisError:
            cached = None
        if cached is not None:
            value: dict[str, Any] = json.loads(cached)
            return value
        parameters, ttl = await self._fetch(app_id, app)
        try:
            await self._redis.set(key, json.dumps(parameters), ex=ttl)
        except RedisError:
            logger.warning("cannot cache the parameters of app %s", app_id)
        return parameters

    async def _fetch(self, app_id: str, app: DifyApp) -> tuple[dict[str, Any], int]:
        try:
            result: AppParameters = await asyncio.wait_for(
                self._dify.get_parameters(app), FETCH_TIMEOUT
            )
        except (DifyError, TimeoutError) as exc:
            logger.warning("parameters of app %s unavailable: %s", app_id, type(exc).__name__)
            return {}, FAILURE_TTL
        return result.model_dump(mode="json"), self._ttl
