"""The `q` filter: MariaDB FULLTEXT where it can answer, a portable LIKE everywhere else.

InnoDB FULLTEXT indexes words of 3+ characters and has no CJK tokenizer on MariaDB, so CJK text,
short words and stopword-only queries take the LIKE path, which finds any substring of the
caller's own titles and messages. SQLite (embedded mode) always takes the LIKE path.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.dialects.mysql import match
from sqlalchemy.engine import Dialect

from rechat_history.models import Conversation, Message

WORD = re.compile(r"\w+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MIN_TOKEN = 3
# InnoDB's default stopwords: a query made of them would match nothing through FULLTEXT
_STOPWORD_TEXT = """a about an are as at be by com de en for from how i in is it la of on or that
the this to was what when where who will with und www"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def fulltext_terms(q: str, dialect: Dialect) -> str | None:
    """The boolean-mode expression when FULLTEXT can answer `q`, else None."""
    if dialect.name not in ("mysql", "mariadb"):
        return None
    words = [word for word in WORD.findall(q.lower()) if word not in STOPWORDS]
    if not words or CJK.search(q) or any(len(word) < MIN_TOKEN for word in words):
        return None
    return " ".join(f"+{word}*" for word in words)


def search_condition(q: str, user_id: str, dialect: Dialect) -> ColumnElement[bool]:
    """Conversations whose title or any message contains `q`."""
    terms = fulltext_terms(q, dialect)
    if terms is not None:
        in_messages = select(Message.conversation_id).where(
            Message.user_id == user_id,
            match(Message.content.expression, against=terms).in_boolean_mode(),
        )
        return or_(
            match(Conversation.title.expression, against=terms).in_boolean_mode(),
            Conversation.id.in_(in_messages),
        )
    return or_(
        Conversation.title.contains(q, autoescape=True),
        exists().where(
            Message.conversation_id == Conversation.id,
            Message.content.contains(q, autoescape=True),
        ),
    )
