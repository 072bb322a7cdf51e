"""The control API (``/_emulator/...``): apps, settings, scripted rules, state reset, stats."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from rechat_dify_emulator.config import AppConfig, ChatflowOrder
from rechat_dify_emulator.state import EmulatorState, ScriptRule

router = APIRouter(prefix="/_emulator")


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


class SettingsUpdate(BaseModel):
    ping_interval: float | None = Field(default=None, gt=0)
    token_delay: float | None = Field(default=None, ge=0)
    chatflow_order: ChatflowOrder | None = None
    rate_limit_status: Literal[429, 400] | None = None
    remote_url_backoff: float | None = Field(default=None, ge=0)


class ScriptRuleIn(BaseModel):
    contains: str
    magic: str
    app_key: str | None = None
    times: int | None = Field(default=None, ge=1)


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness and the active profile."""
    return {"status": "ok", "profile": _state(request).profile.name}


@router.get("/apps")
async def list_apps(request: Request) -> list[AppConfig]:
    """Every configured app."""
    return list(_state(request).apps.values())


@router.put("/apps/{key}")
async def put_app(request: Request, key: str, app: AppConfig) -> AppConfig:
    """Add or replace the app with API key ``key``."""
    if app.key != key:
        raise HTTPException(422, "the body's key must match the path")
    return _state(request).put_app(app)


@router.delete("/apps/{key}", status_code=204)
async def delete_app(request: Request, key: str) -> None:
    """Remove an app: its key answers 401 from now on."""
    _state(request).apps.pop(key, None)


@router.patch("/settings")
async def update_settings(request: Request, update: SettingsUpdate) -> dict[str, Any]:
    """Change ping interval, default token delay, chatflow terminal order, 429-vs-400, the
    back-off of ``remote_url`` retries."""
    state = _state(request)
    changes = update.model_dump(exclude_none=True)
    state.config = state.config.model_copy(update=changes)
    return state.config.model_dump(exclude={"apps"})


@router.post("/scripts", status_code=201)
async def add_script(request: Request, rule: ScriptRuleIn) -> dict[str, Any]:
    """Script requests without touching their query: matching queries get ``magic`` added."""
    _state(request).rules.append(ScriptRule(**rule.model_dump()))
    return rule.model_dump()


@router.get("/calls")
async def calls(
    request: Request,
    method: str | None = None,
    route: str | None = None,
    key: str | None = None,
    after: int | None = None,
) -> dict[str, Any]:
    """Service API calls: ``counts`` per ``METHOD /route`` (every call since the last reset)
    and ``calls``, the latest ones (number ``n``, method, route, path, query, key, status, JSON
    body), filtered by ``method``, ``route`` (the template, e.g.
    ``/v1/conversations/{conversation_id}``), ``key`` and ``after`` (numbered above it)."""
    return _state(request).calls.report(method=method, route=route, key=key, after=after)


@router.delete("/calls", status_code=204)
async def clear_calls(request: Request) -> None:
    """Forget the call log (counts and calls)."""
    _state(request).calls.clear()


@router.post("/reset", status_code=204)
async def reset(request: Request) -> None:
    """Forget conversations, messages, files, runs, scripted rules and the call log."""
    _state(request).reset()


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    """Streams started and active, events sent, conversations stored."""
    state = _state(request)
    return {
        "streams_started": state.stats.streams_started,
        "streams_active": state.stats.streams_active,
        "events_sent": state.stats.events_sent,
        "conversations": len(state.store.conversations),
        "messages": len(state.store.messages),
    }
