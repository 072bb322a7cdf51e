"""Emulator configuration: the apps it serves (key, mode, features) and global knobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

AppMode = Literal["chat", "agent-chat", "advanced-chat", "workflow", "completion"]
ProfileName = Literal["current", "0.15"]
ChatflowOrder = Literal["docs", "legacy"]
BuiltinTool = Literal["current_time"]

OPENING = "Hello! I am the fixture bot."
SUGGESTED = ["What can you do?", "Show me markdown"]


class AppConfig(BaseModel):
    """One emulated Dify app. ``file_upload`` and ``user_input_form`` are Dify's own shapes."""

    model_config = ConfigDict(extra="forbid")

    key: str
    mode: AppMode
    id: str | None = None
    name: str = "emulator app"
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    opening_statement: str | None = None
    suggested_questions: list[str] = Field(default_factory=list)
    suggested_questions_after_answer: bool = False
    retriever_resource: bool = False
    user_input_form: list[dict[str, Any]] = Field(default_factory=list)
    file_upload: dict[str, Any] | None = None
    sensitive_word_avoidance: dict[str, Any] | None = None
    """As saved; None = what a new app of the mode has (``tools/dify-emulator/README.md``)."""
    tools: list[BuiltinTool] = Field(default_factory=list)
    """agent-chat: built-in tools; the fake model calls the first one once on every turn."""
    text_to_speech: bool = False
    speech_to_text: bool = False
    max_active_requests: int = 0
    icon: str = "🤖"
    icon_background: str = "#FFEAD5"


class EmulatorConfig(BaseModel):
    """Everything the emulator serves. ``token_delay`` is the default seconds between tokens."""

    model_config = ConfigDict(extra="forbid")

    apps: list[AppConfig]
    profile: ProfileName = "current"
    ping_interval: float = Field(default=10.0, gt=0)
    token_delay: float = Field(default=0.0, ge=0)
    chatflow_order: ChatflowOrder | None = None
    rate_limit_status: Literal[429, 400] = 429
    delete_unknown_status: Literal[404, 204] = 404
    files_access_timeout: int = Field(default=300, gt=0)
    """Seconds a signed ``/files/{id}/file-preview`` URL stays valid (Dify's default)."""
    remote_url_backoff: float = Field(default=0.5, ge=0)
    """Seconds before the first retry of a ``remote_url`` file's HEAD (doubling, 3 retries)."""


def _image_upload(enabled: bool) -> dict[str, Any]:
    return {
        "image": {
            "enabled": enabled,
            "number_limits": 3,
            "detail": "high",
            "transfer_methods": ["local_file", "remote_url"],
        },
        "enabled": enabled,
        "allowed_file_types": ["image", "document"] if enabled else [],
        "allowed_file_extensions": [],
        "allowed_file_upload_methods": ["local_file", "remote_url"],
        "number_limits": 3,
    }


CHAT_FORM: list[dict[str, Any]] = [
    {
        "text-input": {
            "label": "Topic",
            "variable": "topic",
            "required": False,
            "max_length": 10,
            "default": "",
        }
    },
    {
        "select": {
            "label": "Lang",
            "variable": "lang",
            "required": False,
            "options": ["en", "fr"],
            "default": "",
        }
    },
]

QUERY_FORM: list[dict[str, Any]] = [
    {
        "text-input": {
            "variable": "query",
            "label": "Query",
            "type": "text-input",
            "required": True,
            "max_length": 256,
            "options": [],
        }
    }
]

PARAGRAPH_FORM: list[dict[str, Any]] = [
    {"paragraph": {"label": "Query", "variable": "query", "required": True, "default": ""}}
]


def default_apps() -> list[AppConfig]:
    """One app of each mode with the well-known keys (mirrors the recorded fixture apps)."""
    return [
        AppConfig(
            key="app-emulator-chat",
            mode="chat",
            name="Emulator Chat",
            description="Chatbot app of the Dify emulator",
            opening_statement=OPENING,
            suggested_questions=list(SUGGESTED),
            suggested_questions_after_answer=True,
            user_input_form=CHAT_FORM,
            file_upload=_image_upload(True),
        ),
        AppConfig(
            key="app-emulator-agent",
            mode="agent-chat",
            name="Emulator Agent",
            description="Agent app of the Dify emulator",
            opening_statement="",
            file_upload=_image_upload(False),
        ),
        AppConfig(
            key="app-emulator-chatflow",
            mode="advanced-chat",
            name="Emulator Chatflow",
            description="Chatflow app of the Dify emulator",
            opening_statement=OPENING,
            suggested_questions=list(SUGGESTED),
            suggested_questions_after_answer=True,
            file_upload=_image_upload(False),
        ),
        AppConfig(
            key="app-emulator-workflow",
            mode="workflow",
            name="Emulator Workflow",
            description="Workflow app of the Dify emulator (input: query)",
            user_input_form=QUERY_FORM,
            file_upload=_image_upload(False),
        ),
        AppConfig(
            key="app-emulator-completion",
            mode="completion",
            name="Emulator Completion",
            description="Text generator app of the Dify emulator (input: query)",
            retriever_resource=True,
            user_input_form=PARAGRAPH_FORM,
            file_upload=_image_upload(False),
        ),
    ]


def default_config(**overrides: Any) -> EmulatorConfig:
    """The configuration used when no ``--config`` file is given."""
    return EmulatorConfig(apps=default_apps(), **overrides)


def load_config(path: Path, **overrides: Any) -> EmulatorConfig:
    """Read a YAML or JSON file ``{apps: [...], profile, ping_interval, ...}``."""
    text = path.read_text()
    raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping")
    raw.setdefault("apps", [app.model_dump() for app in default_apps()])
    raw.update({key: value for key, value in overrides.items() if value is not None})
    return EmulatorConfig.model_validate(raw)
