"""The demo app: with no Dify app registered, `rechat dev` registers one served by the bundled
Dify emulator, so a newcomer can sign up and chat at once. An admin then adds real apps."""

from __future__ import annotations

from rechat_gateway.apps.seeding import AppSeed, SeedOutcome, ensure_app
from rechat_gateway.config import GatewaySettings

DEMO_APP_NAME = "Demo (Dify emulator)"
DEMO_API_KEY = "app-emulator-chat"
"""The emulator's default chat app (`rechat-dify-emulator` serves it with no configuration)."""
DEMO_DESCRIPTION = (
    "A demo app answered by ReChat's bundled Dify emulator, not a real model."
    " An administrator adds real Dify apps under Admin → Apps."
)


async def ensure_demo_app(
    emulator_base_url: str, settings: GatewaySettings | None = None
) -> SeedOutcome:
    """Register the demo app when the registry is empty; keep an existing one's address current."""
    seed = AppSeed(
        name=DEMO_APP_NAME,
        base_url=emulator_base_url,
        api_key=DEMO_API_KEY,
        description=DEMO_DESCRIPTION,
        icon="🧪",
    )
    return await ensure_app(settings or GatewaySettings(), seed, only_into_empty_registry=True)
