"""The apps registry: admin CRUD with encrypted keys, the caller's app list, key checks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import Any, cast, get_args

from pydantic import SecretStr

from rechat_gateway.apps.cache import AppCache
from rechat_gateway.apps.hosts import AllowedHosts
from rechat_gateway.apps.inputs import query_input
from rechat_gateway.apps.parameters import ParametersCache
from rechat_gateway.apps.repository import AppRepository
from rechat_gateway.apps.schemas import App, AppCreate, AppTestResult, AppUpdate
from rechat_gateway.models import App as AppRow
from rechat_shared.crypto import SecretBox, mask_secret
from rechat_shared.dify import (
    DifyApp,
    DifyAuthError,
    DifyClient,
    DifyError,
    DifyNotFoundError,
    DifyTimeoutError,
    DifyTransportError,
)
from rechat_shared.errors import (
    AppCheckFailed,
    AppNotFound,
    ModeMismatch,
    UnprocessableEntity,
    UnsupportedMode,
)
from rechat_shared.events import AppMode, DifyTarget
from rechat_shared.security import Principal

CHECK_TIMEOUT = 10.0
APP_MODES: frozenset[str] = frozenset(get_args(AppMode))
logger = logging.getLogger(__name__)


def host_not_allowed() -> UnprocessableEntity:
    return UnprocessableEntity("base_url: this host is not one apps may point at")


def is_visible(app: AppRow, principal: Principal) -> bool:
    """Enabled, and shown to the caller's role or to one of their groups (administrators see
    every app)."""
    if not app.enabled:
        return False
    if principal.role == "admin" or principal.role in app.visible_to_roles:
        return True
    return not set(principal.groups).isdisjoint(app.visible_to_groups or ())


class AppService:
    def __init__(
        self,
        repository: AppRepository,
        box: SecretBox,
        dify: DifyClient,
        parameters: ParametersCache,
        cache: AppCache | None = None,
        allowed_hosts: AllowedHosts | None = None,
    ) -> None:
        self.cache = cache or AppCache(ttl=0)
        self.allowed_hosts = allowed_hosts or AllowedHosts("")
        self.repository = repository
        self.box = box
        self.dify = dify
        self.parameters = parameters

    # -- administration --------------------------------------------------------------------

    async def list_all(self) -> Sequence[AppRow]:
        return await self.repository.list()

    async def get(self, app_id: str) -> AppRow:
        app = await self.repository.get(app_id)
        if app is None:
            raise AppNotFound()
        return app

    async def create(self, body: AppCreate, *, detect: bool = True) -> AppRow:
        """Register an app; its mode is what Dify says (`detect=False` trusts `body.mode`: the
        bundled demo, registered before the emulator beside it serves requests)."""
        if not self.allowed_hosts.allows(body.base_url_text):
            raise host_not_allowed()
        key = body.api_key.get_secret_value().strip()
        mode = body.mode
        if detect or mode is None:
            target = DifyApp(base_url=body.base_url_text, api_key=SecretStr(key))
            mode = await self._detect_mode(target, claimed=body.mode)
        row = AppRow(
            name=body.name,
            description=body.description,
            icon=body.icon,
            base_url=body.base_url_text,
            mode=mode,
            enabled=body.enabled,
            visible_to_roles=list(dict.fromkeys(body.visible_to_roles)),
            visible_to_groups=list(dict.fromkeys(body.visible_to_groups)),
            api_key_encrypted=self.box.encrypt(key),
            api_key_hint=mask_secret(key),
        )
        return await self.repository.add(row)

    async def update(self, app_id: str, body: AppUpdate, *, detect: bool = True) -> AppRow:
        """Change an app; a new key or address (or a `mode` to check) re-detects the mode."""
        app = await self.get(app_id)
        moved = body.base_url_text is not None and body.base_url_text != app.base_url
        if moved and body.api_key is None:
            # the write-only key was given for the old address: never send it anywhere else
            raise UnprocessableEntity("api_key: required again when base_url changes")
        if moved and not self.allowed_hosts.allows(body.base_url_text or ""):
            raise host_not_allowed()
        new_key = body.api_key.get_secret_value().strip() if body.api_key is not None else None
        if detect and (new_key or moved or body.mode):
            target = DifyApp(
                base_url=body.base_url_text or app.base_url,
                api_key=SecretStr(new_key) if new_key else self.box.decrypt(app.api_key_encrypted),
            )
            app.mode = await self._detect_mode(target, claimed=body.mode)
        changes = body.model_dump(exclude_unset=True, exclude={"api_key", "base_url", "mode"})
        for field, value in changes.items():
            if value is not None:
                setattr(app, field, value)
        if not detect and body.mode is not None:
            app.mode = body.mode
        if body.visible_to_roles is not None:
            app.visible_to_roles = list(dict.fromkeys(body.visible_to_roles))
        if body.visible_to_groups is not None:
            app.visible_to_groups = list(dict.fromkeys(body.visible_to_groups))
        if body.base_url_text is not None:
            app.base_url = body.base_url_text
        if new_key:
            app.api_key_encrypted = self.box.encrypt(new_key)
            app.api_key_hint = mask_secret(new_key)
        await self.repository.flush()
        self.cache.forget(app_id)
        return app

    async def _detect_mode(self, target: DifyApp, *, claimed: str | None) -> AppMode:
        """The mode Dify reports for the key; 400 with the reason when it cannot be told or is
        not the one the administrator named."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                mode = await self.dify.detect_mode(target)
        except TimeoutError:
            raise AppCheckFailed("Dify did not answer within 10 seconds") from None
        except DifyError as exc:
            raise AppCheckFailed(_reason(exc)) from None
        if mode not in APP_MODES:
            raise UnsupportedMode(f"Dify reports the app mode {mode!r}")
        if claimed is not None and claimed != mode:
            raise ModeMismatch(f"The key belongs to a {mode} app, not a {claimed} app")
        return cast(AppMode, mode)

    async def delete(self, app_id: str) -> None:
        await self.repository.delete(await self.get(app_id))
        self.cache.forget(app_id)

    async def check(self, app_id: str) -> AppTestResult:
        """Ask Dify for `/info`, `/parameters` and the app's mode with the stored key; say why it
        fails, and refuse a key of another mode than the registered one."""
        app = await self.get(app_id)
        if not self.allowed_hosts.allows(app.base_url):
            return AppTestResult(ok=False, reason="The app's host is not one apps may point at")
        dify_app = self.dify_app(app)
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                info = await self.dify.get_info(dify_app)
                await self.dify.get_parameters(dify_app)
                mode = await self.dify.detect_mode(dify_app, info)
        except TimeoutError:
            return AppTestResult(ok=False, reason="Dify did not answer within 10 seconds")
        except DifyError as exc:
            return AppTestResult(ok=False, reason=_reason(exc))
        if mode != app.mode:
            reason = (
                f"The key belongs to a {mode} app, but it is registered as {app.mode}: every "
                "message would fail. Enter the key again (or set the mode) so ReChat uses "
                f"the {mode} API."
            )
            return AppTestResult(ok=False, reason=reason, info=info.model_dump(mode="json"))
        return AppTestResult(ok=True, info=info.model_dump(mode="json"))

    # -- the caller's apps -----------------------------------------------------------------

    async def list_visible(self, principal: Principal) -> list[App]:
        apps = [app for app in await self.repository.list(enabled_only=True)]
        visible = [app for app in apps if is_visible(app, principal)]
        described = await asyncio.gather(*(self._describe_or_bare(app) for app in visible))
        return list(described)

    async def _describe_or_bare(self, app: AppRow) -> App:
        """One app that cannot be described (a key that cannot be sent, a host no longer
        allowed) is listed without Dify's parameters; it never fails the list."""
        try:
            return await self.describe(app)
        except Exception:
            logger.warning("app cannot be described", extra={"app_id": app.id}, exc_info=True)
            return _describe(app, {})

    async def get_visible(self, app_id: str, principal: Principal) -> AppRow:
        """The app if the caller may use it; 404 otherwise (hidden apps do not exist to them)."""
        hit, app = self.cache.get(app_id)
        if not hit:
            app = await self.repository.get(app_id)
            if app is not None:
                # detached: a later rollback of this request's session must not expire it
                self.repository.detach(app)
            self.cache.put(app_id, app)
        if app is None or not is_visible(app, principal):
            raise AppNotFound()
        return app

    async def describe(self, app: AppRow) -> App:
        # parameters depend only on where Dify is and which key asks: a change of either
        # (a new key is a new ciphertext) gives a new cache entry
        version = hashlib.sha256(f"{app.base_url}\n{app.api_key_encrypted}".encode()).hexdigest()
        parameters = await self.parameters.get(app.id, version, self.dify_app(app))
        return _describe(app, parameters)

    # -- keys --------------------------------------------------------------------------------

    def dify_app(self, app: AppRow) -> DifyApp:
        if not self.allowed_hosts.allows(app.base_url):
            raise host_not_allowed()
        return DifyApp(base_url=app.base_url, api_key=self.box.decrypt(app.api_key_encrypted))

    def dify_target(self, app: AppRow) -> DifyTarget:
        if not self.allowed_hosts.allows(app.base_url):
            raise host_not_allowed()
        return DifyTarget(
            base_url=app.base_url, api_key_encrypted=app.api_key_encrypted, mode=app.mode
        )


def _describe(app: AppRow, parameters: dict[str, Any]) -> App:
    after_answer = parameters.get("suggested_questions_after_answer")
    form = parameters.get("user_input_form") or []
    return App.model_validate(
        {
            "id": app.id,
            "name": app.name,
            "description": app.description,
            "icon": app.icon,
            "mode": app.mode,
            "opening_statement": parameters.get("opening_statement") or None,
            "suggested_questions": parameters.get("suggested_questions") or [],
            "user_input_form": form,
            "query_input": query_input(app.mode, form),
            "file_upload": parameters.get("file_upload"),
            "suggested_questions_after_answer": _enabled(after_answer),
            "speech_to_text": _enabled(parameters.get("speech_to_text")),
            "text_to_speech": _enabled(parameters.get("text_to_speech")),
        }
    )


def _enabled(feature: object) -> bool:
    """A Dify feature switch: `{"enabled": true, ...}`."""
    return isinstance(feature, dict) and bool(feature.get("enabled"))


def _reason(exc: DifyError) -> str:
    if isinstance(exc, DifyAuthError):
        return f"Dify rejected the API key ({exc.status} {exc.code}): {exc.message}"
    if isinstance(exc, DifyNotFoundError):
        return "Dify answered 404: is the base URL the Service API root ending in /v1?"
    if isinstance(exc, DifyTimeoutError):
        return f"Dify timed out: {exc.message}"
    if isinstance(exc, DifyTransportError):
        return f"Cannot reach Dify: {exc.message}"
    return f"Dify answered an error: {exc}"
