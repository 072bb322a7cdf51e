"""In-memory Dify state: end users, conversations, messages, files, tasks and workflow runs."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from rechat_dify_emulator.config import AppConfig


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> int:
    return int(time.time())


@dataclass
class Conversation:
    id: str
    app_key: str
    user: str
    name: str
    inputs: dict[str, Any]
    introduction: str
    created_at: int
    updated_at: int
    message_ids: list[str] = field(default_factory=list)
    first_query: str = ""


@dataclass
class StoredMessage:
    id: str
    app_key: str
    user: str
    conversation_id: str | None
    query: str
    inputs: dict[str, Any]
    created_at: int
    answer: str = ""
    status: str = "normal"
    error: str | None = None
    feedback: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    agent_thoughts: list[dict[str, Any]] = field(default_factory=list)
    retriever_resources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UploadedFile:
    id: str
    app_key: str
    name: str
    size: int
    extension: str
    mime_type: str
    created_by: str
    created_at: int
    content: bytes = b""


@dataclass
class Task:
    """A running generation; ``stopped`` is set by the stop endpoints."""

    id: str
    app_key: str
    user: str
    stopped: bool = False


@dataclass
class WorkflowRun:
    id: str
    app_key: str
    workflow_id: str
    user: str
    inputs: dict[str, Any]
    created_at: int
    status: str = "running"
    outputs: dict[str, Any] | None = None
    error: str | None = None
    elapsed_time: float = 0.0
    total_tokens: int = 0
    total_steps: int = 0
    finished_at: int | None = None


class Store:
    """All state of one emulator process (lost on restart, as intended)."""

    def __init__(self) -> None:
        self.end_users: dict[tuple[str, str], str] = {}
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.files: dict[str, UploadedFile] = {}
        self.tasks: dict[str, Task] = {}
        self.finished_tasks: set[str] = set()
        self.workflow_runs: dict[str, WorkflowRun] = {}
        self.workflow_ids: dict[str, str] = {}
        self.active: dict[str, int] = {}

    def end_user(self, app_key: str, user: str) -> str:
        """The end-user id Dify creates the first time it sees ``user`` for an app."""
        key = (app_key, user)
        if key not in self.end_users:
            self.end_users[key] = new_id()
        return self.end_users[key]

    def workflow_id(self, app_key: str) -> str:
        if app_key not in self.workflow_ids:
            self.workflow_ids[app_key] = new_id()
        return self.workflow_ids[app_key]

    def conversation(self, app: AppConfig, user: str, conversation_id: str) -> Conversation | None:
        """The conversation if it exists, is not deleted and belongs to (app, user)."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.app_key != app.key or conversation.user != user:
            return None
        return conversation

    def user_conversations(self, app: AppConfig, user: str) -> list[Conversation]:
        return [
            conversation
            for conversation in self.conversations.values()
            if conversation.app_key == app.key and conversation.user == user
        ]

    def message(self, app: AppConfig, user: str, message_id: str) -> StoredMessage | None:
        message = self.messages.get(message_id)
        if message is None or message.app_key != app.key or message.user != user:
            return None
        return message

    def start_task(self, app: AppConfig, user: str) -> Task:
        task = Task(id=new_id(), app_key=app.key, user=user)
        self.tasks[task.id] = task
        self.active[app.key] = self.active.get(app.key, 0) + 1
        return task

    def finish_task(self, task: Task) -> None:
        if self.tasks.pop(task.id, None) is not None:
            self.active[task.app_key] -= 1
            self.finished_tasks.add(task.id)

    def stop_task(self, task_id: str, app: AppConfig, user: str | None) -> None:
        """Set the stop flag; like Dify, a foreign user's stop is silently ignored."""
        task = self.tasks.get(task_id)
        if task is None or task.app_key != app.key:
            return
        if user is not None and task.user != user:
            return
        task.stopped = True
