"""The emulator's process state: configuration, profile, apps by key, store, scripted rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from rechat_dify_emulator.calls import CallLog
from rechat_dify_emulator.config import AppConfig, EmulatorConfig
from rechat_dify_emulator.generation import Stats
from rechat_dify_emulator.pacing import PacingClock
from rechat_dify_emulator.profiles import PROFILES, Profile
from rechat_dify_emulator.store import Store, new_id


@dataclass
class ScriptRule:
    """Control-API rule: a query containing ``contains`` (for ``app_key`` or any app) gets
    ``magic`` appended (one or more magic words); ``times`` = how often (None = always)."""

    contains: str
    magic: str
    app_key: str | None = None
    times: int | None = None


@dataclass
class EmulatorState:
    config: EmulatorConfig
    store: Store = field(default_factory=Store)
    stats: Stats = field(default_factory=Stats)
    apps: dict[str, AppConfig] = field(default_factory=dict)
    rules: list[ScriptRule] = field(default_factory=list)
    clock: PacingClock = field(default_factory=PacingClock)
    calls: CallLog = field(default_factory=CallLog)

    def __post_init__(self) -> None:
        for app in self.config.apps:
            self.put_app(app)

    @property
    def profile(self) -> Profile:
        return PROFILES[self.config.profile]

    def put_app(self, app: AppConfig) -> AppConfig:
        if app.id is None:
            existing = self.apps.get(app.key)
            app = app.model_copy(update={"id": existing.id if existing else new_id()})
        self.apps[app.key] = app
        return app

    def scripted_query(self, app: AppConfig, query: str) -> str:
        """``query`` plus the magic words of the first matching control-API rule."""
        for rule in self.rules:
            if rule.app_key not in (None, app.key) or rule.contains not in query:
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            return f"{query} {rule.magic}"
        return query

    def reset(self) -> None:
        self.store = Store()
        self.stats = Stats()
        self.rules.clear()
        self.calls.clear()
