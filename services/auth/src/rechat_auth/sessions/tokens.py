"""Minting access tokens: short-lived JWTs signed with the keyring's current key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from rechat_auth.config import Settings
from rechat_auth.keys.service import Keyring
from rechat_auth.models import User


class AccessTokens:
    def __init__(self, keyring: Keyring, settings: Settings) -> None:
        self._keyring = keyring
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.lifetime = settings.access_token_seconds

    def mint(self, user: User, session_id: str | None = None, groups: Sequence[str] = ()) -> str:
        """A token for the user's current role and groups. `iat` keeps sub-second precision
        so a token minted right after a revocation is not mistaken for one from before it;
        `sid` names the session (refresh-token family), so a logout voids the access tokens
        it minted."""
        now = time.time()
        extra = {"sid": session_id} if session_id else {}
        return self._keyring.sign(
            {
                **extra,
                "sub": user.id,
                "role": user.role,
                "groups": list(groups),
                "iss": self.issuer,
                "aud": self.audience,
                "iat": now,
                "nbf": int(now),
                "exp": int(now) + self.lifetime,
                "jti": uuid.uuid4().hex,
            }
        )
