"""The long-lived clients of one gateway process, created in the lifespan and held on app state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from rechat_gateway.apps.cache import AppCache
from rechat_gateway.chat.history import HistoryClient
from rechat_gateway.chat.ownership import ConversationDirectory
from rechat_gateway.chat.redis_repository import Records
from rechat_gateway.chat.sse import KeepAliveTicker
from rechat_gateway.config import GatewaySettings
from rechat_shared.bus import EventBus
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys
from rechat_shared.streams import StreamHub


@dataclass
class GatewayClients:
    settings: GatewaySettings
    redis: Redis
    keys: Keys
    box: SecretBox
    dify: DifyClient
    bus: EventBus
    hub: StreamHub
    records: Records
    history: HistoryClient
    conversations: ConversationDirectory
    app_cache: AppCache
    keepalive: KeepAliveTicker


async def get_clients(request: Request) -> GatewayClients:
    clients: GatewayClients = request.app.state.clients
    return clients


ClientsDep = Annotated[GatewayClients, Depends(get_clients)]
