"""Emulator configuration files (YAML and JSON) and the default apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rechat_dify_emulator.config import default_config, load_config

DEFAULT_KEYS = {
    "app-emulator-chat": "chat",
    "app-emulator-agent": "agent-chat",
    "app-emulator-chatflow": "advanced-chat",
    "app-emulator-workflow": "workflow",
    "app-emulator-completion": "completion",
}


def test_default_apps_have_the_well_known_keys() -> None:
    config = default_config()
    assert {app.key: app.mode for app in config.apps} == DEFAULT_KEYS
    assert config.profile == "current"
    assert config.ping_interval == 10.0


def test_yaml_file_with_apps_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "apps.yaml"
    path.write_text(
        "profile: '0.15'\n"
        "ping_interval: 2\n"
        "apps:\n"
        "  - key: app-one\n"
        "    mode: workflow\n"
        "    max_active_requests: 3\n"
    )
    config = load_config(path, ping_interval=0.5)
    assert config.profile == "0.15"
    assert config.ping_interval == 0.5
    assert [(app.key, app.mode, app.max_active_requests) for app in config.apps] == [
        ("app-one", "workflow", 3)
    ]


def test_file_without_apps_keeps_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"token_delay": 0.03}')
    config = load_config(path)
    assert config.token_delay == 0.03
    assert {app.key for app in config.apps} == set(DEFAULT_KEYS)


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"apps": [{"key": "k", "mode": "agent"}]}')
    with pytest.raises(ValidationError):
        load_config(path)
