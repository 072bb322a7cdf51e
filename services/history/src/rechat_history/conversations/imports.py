"""Import chats from an export file: Open WebUI's (Settings > Data Controls > Export Chats, a
list of chats whose `chat.history` is a message tree) or ReChat's own (`GET
/api/conversations/export`, or one conversation's JSON export).

An imported chat is stored as finished past turns with no Dify conversation behind it: Dify
keeps a conversation's memory on its side and cannot be given old turns, so a follow-up starts
a new Dify conversation of the chosen app (as a clone does), while the user keeps seeing the old
turns above it. Only text comes over (attachments point into the other system); Open WebUI's
current branch is taken where its tree has several.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations.schemas import Conversation
from rechat_history.models import PREVIEW_LENGTH, TITLE_LENGTH
from rechat_history.models import Conversation as ConversationRow
from rechat_history.models import Message as MessageRow
from rechat_shared.db import utcnow
from rechat_shared.errors import ImportRejected

MAX_CONVERSATIONS = 1000
MAX_MESSAGES = 2000
"""Per conversation."""
MAX_CONTENT = 200_000
"""Characters per message."""
DEFAULT_TITLE = "Imported chat"
_STEP = timedelta(microseconds=1)


class ImportResult(BaseModel):
    imported: int
    conversations: list[Conversation]


@dataclass
class ParsedMessage:
    role: str  # user | assistant
    content: str
    at: datetime | None
    status: str = "done"
    error: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedChat:
    title: str
    created_at: datetime | None
    pinned: bool
    archived: bool
    messages: list[ParsedMessage]


# ----------------------------------------------------------------------------- the file


def parse(body: bytes) -> list[ParsedChat]:
    """The chats of an export file; ImportRejected (400) saying what is wrong otherwise."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRejected(f"The file is not JSON: {exc}") from None
    try:
        if isinstance(document, dict) and isinstance(document.get("conversations"), list):
            chats = [_rechat(item) for item in document["conversations"]]
        elif isinstance(document, dict) and "conversation" in document and "messages" in document:
            chats = [_rechat(document)]
        elif isinstance(document, list):
            chats = [_open_webui(item) for item in document]
        elif isinstance(document, dict) and ("chat" in document or "history" in document):
            chats = [_open_webui(document)]
        else:
            raise ImportRejected()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise ImportRejected(f"The file is not a chat export: {where}: {first['msg']}") from None
    if not chats:
        raise ImportRejected("The file holds no chats")
    if len(chats) > MAX_CONVERSATIONS:
        raise ImportRejected(f"A file may hold at most {MAX_CONVERSATIONS} chats")
    for chat in chats:
        if len(chat.messages) > MAX_MESSAGES:
            raise ImportRejected(f"A chat may hold at most {MAX_MESSAGES} messages")
        if any(len(message.content) > MAX_CONTENT for message in chat.messages):
            raise ImportRejected(f"A message may hold at most {MAX_CONTENT} characters")
    return chats


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


# Open WebUI: [{id, title, chat: {title, history: {messages: {id: {...}}, currentId},
# messages: [...]}, created_at, updated_at (epoch seconds), pinned, archived, ...}]
class _OwuiMessage(_Loose):
    id: str | None = None
    parentId: str | None = None  # noqa: N815 (Open WebUI's spelling)
    role: str
    content: Any = ""
    timestamp: float | None = None


class _OwuiHistory(_Loose):
    messages: dict[str, _OwuiMessage] = {}
    currentId: str | None = None  # noqa: N815


class _OwuiChat(_Loose):
    title: str | None = None
    history: _OwuiHistory | None = None
    messages: list[_OwuiMessage] = []
    timestamp: float | None = None


class _OwuiItem(_Loose):
    title: str | None = None
    chat: _OwuiChat
    created_at: float | None = None
    pinned: bool | None = None
    archived: bool | None = None


def _open_webui(item: Any) -> ParsedChat:
    if isinstance(item, dict) and "chat" not in item:
        item = {"chat": item}  # a bare chat object, as Open WebUI's own import also takes
    parsed = _OwuiItem.model_validate(item)
    chat = parsed.chat
    path = _current_branch(chat.history) if chat.history else []
    if not path:
        path = chat.messages
    messages = [
        ParsedMessage(
            role=message.role, content=_text(message.content), at=_epoch(message.timestamp)
        )
        for message in path
        if message.role in {"user", "assistant"}
    ]
    return ParsedChat(
        title=parsed.title or chat.title or "",
        created_at=_epoch(parsed.created_at or chat.timestamp),
        pinned=bool(parsed.pinned),
        archived=bool(parsed.archived),
        messages=messages,
    )


def _current_branch(history: _OwuiHistory) -> list[_OwuiMessage]:
    """The shown branch: from `currentId` up the parents to the root, oldest first."""
    path: list[_OwuiMessage] = []
    seen: set[str] = set()
    current = history.currentId
    while current and current in history.messages and current not in seen:
        seen.add(current)
        message = history.messages[current]
        path.append(message)
        current = message.parentId
    return path[::-1]


def _text(content: Any) -> str:
    """Open WebUI stores text; OpenAI-style parts (`[{type: text, text}]`) are joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _epoch(value: float | None) -> datetime | None:
    if value is None or value <= 0:
        return None
    if value > 1e11:  # milliseconds (Open WebUI's message timestamps are seconds; some are not)
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# ReChat: {exported_at, conversations: [{conversation: {...}, messages: [...]}]}
class _RechatMessage(_Loose):
    role: str
    content: str = ""
    status: str = "done"
    error: dict[str, Any] | None = None
    citations: list[dict[str, Any]] | None = None
    thoughts: list[dict[str, Any]] | None = None
    nodes: list[dict[str, Any]] | None = None
    inputs: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None
    created_at: datetime | None = None


class _RechatConversation(_Loose):
    title: str = ""
    pinned: bool = False
    archived: bool = False
    created_at: datetime | None = None


class _RechatExport(_Loose):
    conversation: _RechatConversation
    messages: list[_RechatMessage]


STATUSES = {"done", "stopped", "failed"}


def _rechat(item: Any) -> ParsedChat:
    parsed = _RechatExport.model_validate(item)
    messages = [
        ParsedMessage(
            role=message.role,
            content=message.content,
            at=message.created_at,
            # an answer that was still streaming when exported ends there
            status=message.status if message.status in STATUSES else "stopped",
            error=_error(message.error) if message.status == "failed" else None,
            extras={
                "citations": message.citations,
                "thoughts": message.thoughts,
                "nodes": message.nodes,
                "inputs": message.inputs,
                "timings": message.timings,
            },
        )
        for message in parsed.messages
        if message.role in {"user", "assistant"}
    ]
    conversation = parsed.conversation
    return ParsedChat(
        title=conversation.title,
        created_at=conversation.created_at,
        pinned=conversation.pinned,
        archived=conversation.archived,
        messages=messages,
    )


def _error(error: dict[str, Any] | None) -> dict[str, Any]:
    """A failed answer's error as ReChat shows one, whatever the file put there."""
    error = error or {}
    return {
        "code": str(error.get("code") or "failed")[:64],
        "message": str(error.get("message") or "The answer failed")[:1000],
    }


# ----------------------------------------------------------------------------- storing


async def store(
    session: AsyncSession, user_id: str, app_id: str, chats: list[ParsedChat]
) -> ImportResult:
    """Each chat as a conversation of `app_id` (the app its follow-ups go to), no Dify id."""
    now = utcnow()
    stored = []
    for chat in chats:
        row = _conversation(user_id, app_id, chat, now)
        session.add(row)
        for message in _messages(row, chat):
            session.add(message)
        stored.append(row)
    await session.flush()
    return ImportResult(
        imported=len(stored), conversations=[Conversation.from_row(row) for row in stored]
    )


def _conversation(user_id: str, app_id: str, chat: ParsedChat, now: datetime) -> ConversationRow:
    times = [m.at for m in chat.messages if m.at is not None]
    created = min([t for t in [chat.created_at, *times] if t is not None], default=now)
    created = min(created, now)
    last = max(times, default=created)
    question = next((m.content for m in chat.messages if m.role == "user"), "")
    latest = chat.messages[-1].content if chat.messages else ""
    title = " ".join((chat.title or question or DEFAULT_TITLE).split())[:TITLE_LENGTH]
    return ConversationRow(
        id=str(uuid.uuid4()),
        user_id=user_id,
        app_id=app_id,
        title=title or DEFAULT_TITLE,
        title_source="user",  # Dify's title for the follow-up's conversation must not replace it
        title_at=now,
        dify_conversation_id=None,
        pinned=chat.pinned,
        archived=chat.archived,
        folder_id=None,
        unread=False,
        preview=" ".join(latest.split())[:PREVIEW_LENGTH],
        created_at=created,
        updated_at=min(max(last, created), now),
    )


def _messages(conversation: ConversationRow, chat: ParsedChat) -> list[MessageRow]:
    """The messages in the file's order: each at least a microsecond after the one before, so
    the stored order (time, then question before answer) is the file's."""
    rows = []
    previous: datetime | None = None
    for message in chat.messages:
        at = message.at or previous or conversation.created_at
        if previous is not None and at <= previous:
            at = previous + _STEP
        previous = at
        rows.append(
            MessageRow(
                id=str(uuid.uuid4()),
                conversation_id=conversation.id,
                user_id=conversation.user_id,
                role=message.role,
                position=0 if message.role == "user" else 1,
                content=message.content,
                status=message.status,
                final_at=at,
                final_event_id=None,
                error=message.error,
                regenerate_of=None,
                usage=None,  # the tokens were spent elsewhere
                dify_message_id=None,
                dify_task_id=None,
                suggested_questions=None,
                files=None,
                created_at=at,
                updated_at=at,
                **message.extras,
            )
        )
    return rows
