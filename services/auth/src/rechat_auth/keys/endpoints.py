"""The public key document: `GET /api/auth/.well-known/jwks.json`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rechat_auth.keys.schemas import JWK, JWKS
from rechat_auth.keys.service import Keyring

router = APIRouter(prefix="/api/auth", tags=["keys"])


@router.get("/.well-known/jwks.json", response_model=JWKS, response_model_exclude_none=True)
async def jwks(request: Request, response: Response) -> JWKS:
    """The public keys that verify auth's access tokens."""
    keyring: Keyring = request.app.state.clients.keyring
    response.headers["Cache-Control"] = "public, max-age=300"
    return JWKS(keys=[JWK.model_validate(jwk) for jwk in keyring.jwks()])
