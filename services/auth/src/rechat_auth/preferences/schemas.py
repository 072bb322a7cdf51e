"""A user's settings as the app stores them on the server, so they follow the user to every
device: appearance, how the chat behaves, read-aloud voice, and the default app."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Theme = Literal["system", "light", "dark", "oled-dark"]
Language = Literal["en", "zh-CN"]
SendKey = Literal["enter", "ctrl_enter"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Preferences(BaseModel):
    """Every setting with its default; what a user never changed reads as the default."""

    model_config = ConfigDict(extra="forbid")

    theme: Theme = "system"
    language: Language | None = None
    """None follows the browser."""
    wide_screen: bool = False
    chat_bubbles: bool = True
    show_timestamps: bool = True
    send_with: SendKey = "enter"
    auto_scroll: bool = True
    auto_title: bool = True
    """Ask Dify for a title after the first answer."""
    default_app_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    tts_voice: ShortText | None = None
    """The browser voice for read aloud when the app has no text-to-speech of its own."""
    tts_rate: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0


class PreferencesUpdate(BaseModel):
    """Only the fields given change; null puts a nullable setting back to its default."""

    model_config = ConfigDict(extra="forbid")

    theme: Theme | None = None
    language: Language | None = None
    wide_screen: bool | None = None
    chat_bubbles: bool | None = None
    show_timestamps: bool | None = None
    send_with: SendKey | None = None
    auto_scroll: bool | None = None
    auto_title: bool | None = None
    default_app_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    tts_voice: ShortText | None = None
    tts_rate: Annotated[float, Field(ge=0.5, le=2.0)] | None = None

    def apply(self, current: Preferences) -> Preferences:
        merged = current.model_dump()
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None and name not in NULLABLE:
                continue
            merged[name] = value
        return Preferences.model_validate(merged)


NULLABLE = frozenset({"language", "default_app_id", "tts_voice"})
