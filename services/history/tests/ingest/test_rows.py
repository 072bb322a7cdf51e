"""The ingest's plain rows carry exactly the columns of their tables."""

from __future__ import annotations

from dataclasses import fields

import pytest

from rechat_history.ingest.rows import ConversationRow, FeedbackRow, MessageRow, UsageRow
from rechat_history.models import Conversation, Message, MessageFeedback, UsageRecord


@pytest.mark.parametrize(
    ("row", "model"),
    [
        (ConversationRow, Conversation),
        (MessageRow, Message),
        (FeedbackRow, MessageFeedback),
        (UsageRow, UsageRecord),
    ],
)
def test_rows_match_tables(row: type, model: type) -> None:
    assert [field.name for field in fields(row)] == [c.key for c in model.__table__.columns]
