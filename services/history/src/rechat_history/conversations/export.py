"""Conversation export as JSON or Markdown files."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations import repository
from rechat_history.conversations.schemas import Conversation, ConversationExport, ExportAll
from rechat_history.messages import repository as messages
from rechat_history.messages.schemas import Message
from rechat_history.models import Conversation as ConversationRow
from rechat_shared.db import utcnow

ROLE_NAMES = {"user": "You", "assistant": "Assistant"}


async def one(session: AsyncSession, conversation: ConversationRow) -> ConversationExport:
    grouped = await messages.all_of_conversations(session, [conversation.id])
    return ConversationExport(
        conversation=Conversation.from_row(conversation),
        messages=[Message.from_row(*pair) for pair in grouped[conversation.id]],
    )


async def all_mine(session: AsyncSession, user_id: str) -> ExportAll:
    conversations = await repository.all_owned(session, user_id)
    grouped = await messages.all_of_conversations(session, [c.id for c in conversations])
    return ExportAll(
        exported_at=utcnow(),
        conversations=[
            ConversationExport(
                conversation=Conversation.from_row(row),
                messages=[Message.from_row(*pair) for pair in grouped[row.id]],
            )
            for row in conversations
        ],
    )


def markdown(export: ConversationExport) -> str:
    """A readable transcript: the title, then each message under its author and time."""
    conversation = export.conversation
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    for message in export.messages:
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines += [f"## {ROLE_NAMES[message.role]} · {when}", ""]
        lines.append(message.content or f"_({message.status})_")
        if message.error is not None:
            lines += ["", f"> Error: {message.error.message}"]
        lines.append("")
    return "\n".join(lines)


def filename(conversation_id: str, extension: str) -> str:
    safe = "".join(ch for ch in conversation_id if ch.isalnum() or ch == "-")[:64]
    return f"conversation-{safe}.{extension}"
