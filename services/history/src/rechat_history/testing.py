"""Test helpers for history (imported by its tests, the benchmark and e2e tests): a signing key
ring that stands in for auth's JWKS, and builders for realistic chat-event sequences."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rechat_shared.db import utcnow
from rechat_shared.errors import InvalidToken
from rechat_shared.events import (
    AnyBusEvent,
    ChatCompleted,
    ChatFailed,
    ChatFeedback,
    ChatRequested,
    ConversationTitled,
    DifyTarget,
    Timings,
    Usage,
)
from rechat_shared.security import parse_jwks
from rechat_shared.settings import JWTVerifySettings
from rechat_shared.testing.tokens import mark_live

DIFY = DifyTarget(base_url="http://dify.invalid/v1", api_key_encrypted="x", mode="chat")


class KeyRing:
    """An Ed25519 key with its JWKS document; a `KeySource` for `TokenVerifier`."""

    def __init__(
        self,
        settings: JWTVerifySettings | None = None,
        *,
        redis_url: str | None = None,
        redis_prefix: str = "",
    ) -> None:
        self.settings = settings or JWTVerifySettings()
        # where the tokens' users get their state entry (verifiers refuse users without one)
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.kid = uuid.uuid4().hex[:8]
        self.private_key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]}

    async def key_for(self, kid: str) -> jwt.PyJWK:
        keys = parse_jwks(self.jwks())
        if kid not in keys:
            raise InvalidToken("Unknown signing key")
        return keys[kid]

    def token(self, user_id: str, role: str = "user") -> str:
        if self.redis_url is not None:
            mark_live(self.redis_url, self.redis_prefix, user_id)
        now = time.time()
        claims = {
            "sub": user_id,
            "role": role,
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "iat": now,
            "nbf": int(now),
            "exp": int(now) + 600,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, user_id: str, role: str = "user") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, role)}"}


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class ChatScript:
    """Builds the events of chat turns with plausible, strictly increasing times."""

    clock: datetime = field(default_factory=utcnow)
    step: timedelta = timedelta(milliseconds=10)

    def tick(self) -> datetime:
        self.clock += self.step
        return self.clock

    def request(
        self,
        user_id: str,
        conversation_id: str,
        query: str,
        *,
        app_id: str = "app-1",
        regenerate_of: str | None = None,
    ) -> ChatRequested:
        return ChatRequested(
            occurred_at=self.tick(),
            user_id=user_id,
            app_id=app_id,
            conversation_id=conversation_id,
            user_message_id=new_id(),
            message_id=new_id(),
            query=query,
            inputs={"topic": "test"},
            dify=DIFY,
            dify_user=user_id,
            regenerate_of=regenerate_of,
        )

    def completed(
        self, request: ChatRequested, answer: str, *, status: str = "done", tokens: int = 30
    ) -> ChatCompleted:
        finished = self.tick()
        return ChatCompleted(
            occurred_at=finished,
            user_id=request.user_id,
            app_id=request.app_id,
            conversation_id=request.conversation_id,
            user_message_id=request.user_message_id,
            message_id=request.message_id,
            status="stopped" if status == "stopped" else "done",
            answer=answer,
            usage=Usage(
                prompt_tokens=tokens // 3,
                completion_tokens=tokens - tokens // 3,
                total_tokens=tokens,
                total_price="0.00012",
            ),
            dify_conversation_id=f"dify-{request.conversation_id[:8]}",
            dify_message_id=new_id(),
            dify_task_id=new_id(),
            citations=[{"position": 1, "document_name": "handbook.pdf", "content": "..."}],
            thoughts=[{"id": "t1", "position": 1, "thought": "thinking", "tool": ""}],
            nodes=[{"id": "n1", "node_id": "llm", "node_type": "llm", "status": "succeeded"}],
            suggested_questions=["And then?"],
            timings=Timings(
                requested_at=request.occurred_at,
                started_at=request.occurred_at,
                finished_at=finished,
            ),
        )

    def failed(self, request: ChatRequested, *, partial: str = "") -> ChatFailed:
        return ChatFailed(
            occurred_at=self.tick(),
            user_id=request.user_id,
            app_id=request.app_id,
            conversation_id=request.conversation_id,
            user_message_id=request.user_message_id,
            message_id=request.message_id,
            code="dify_error",
            message="Dify answered 500",
            partial_answer=partial,
        )

    def feedback(self, request: ChatRequested, rating: str | None) -> ChatFeedback:
        return ChatFeedback(
            occurred_at=self.tick(),
            user_id=request.user_id,
            message_id=request.message_id,
            rating="like" if rating == "like" else ("dislike" if rating else None),
        )

    def titled(self, user_id: str, conversation_id: str, title: str) -> ConversationTitled:
        return ConversationTitled(
            occurred_at=self.tick(), user_id=user_id, conversation_id=conversation_id, title=title
        )

    def turn(
        self, user_id: str, conversation_id: str, query: str, answer: str
    ) -> tuple[ChatRequested, ChatCompleted]:
        request = self.request(user_id, conversation_id, query)
        return request, self.completed(request, answer)


def events_of(*groups: AnyBusEvent | tuple[AnyBusEvent, ...]) -> list[AnyBusEvent]:
    flat: list[AnyBusEvent] = []
    for group in groups:
        flat.extend(group if isinstance(group, tuple) else (group,))
    return flat
