"""Request dependencies of the apps domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rechat_gateway.apps.hosts import AllowedHosts
from rechat_gateway.apps.parameters import ParametersCache
from rechat_gateway.apps.repository import AppRepository
from rechat_gateway.apps.service import AppService
from rechat_gateway.clients import ClientsDep
from rechat_shared.db import SessionDep


async def get_app_service(session: SessionDep, clients: ClientsDep) -> AppService:
    parameters = ParametersCache(
        clients.redis, clients.keys, clients.dify, clients.settings.parameters_cache_seconds
    )
    return AppService(
        AppRepository(session),
        clients.box,
        clients.dify,
        parameters,
        clients.app_cache,
        AllowedHosts(clients.settings.dify_allowed_hosts),
    )


AppServiceDep = Annotated[AppService, Depends(get_app_service)]
