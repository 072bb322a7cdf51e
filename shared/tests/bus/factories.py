"""Small valid bus events for the tests."""

from __future__ import annotations

import uuid

from rechat_shared.events import ChatFeedback, ChatRequested, DifyTarget, UserChanged


def chat_requested(query: str = "hello") -> ChatRequested:
    return ChatRequested(
        user_id="user-1",
        app_id="app-1",
        conversation_id=str(uuid.uuid4()),
        user_message_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        query=query,
        dify=DifyTarget(base_url="http://dify", api_key_encrypted="x", mode="chat"),
        dify_user="user-1",
    )


def feedback(user_id: str = "user-1") -> ChatFeedback:
    return ChatFeedback(user_id=user_id, message_id=str(uuid.uuid4()), rating="like")


def user_changed(user_id: str = "user-1") -> UserChanged:
    return UserChanged(user_id=user_id, change="updated")
