"""Schemas of the voice routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SpeechText(BaseModel):
    """What Dify heard in a recording."""

    text: str


class SpeechRequest(BaseModel):
    """A text (an answer) to read aloud with the app's voice."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)
