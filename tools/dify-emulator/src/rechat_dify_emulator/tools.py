"""The built-in Dify tools an emulated agent app can call (``AppConfig.tools``, ``[[tools]]``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CONSOLE_ICON = "/console/api/workspaces/current/tool-provider/builtin/{provider}/icon"
"""Where ``/v1/meta`` says a built-in tool's icon is (Dify's console API, not the Service API)."""


@dataclass(frozen=True)
class BuiltinTool:
    name: str
    provider: str
    thought: str
    """What the fake model thinks before calling the tool (streamed, then the thought's text)."""
    labels: dict[str, str]
    tool_input: dict[str, Any]
    observe: Callable[[], dict[str, Any]]

    def observation(self) -> str:
        return json.dumps(self.observe())


def _current_time() -> dict[str, Any]:
    return {"current_time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}


BUILTIN_TOOLS: dict[str, BuiltinTool] = {
    # as recorded (agent_tool_*): provider time, tool current_time, format and timezone preset
    "current_time": BuiltinTool(
        name="current_time",
        provider="time",
        thought="I should check the current time.",
        labels={
            "zh_Hans": "获取当前时间",
            "en_US": "Current Time",
            "pt_BR": "Current Time",
            "ja_JP": "Current Time",
        },
        tool_input={},
        observe=_current_time,
    ),
}
