"""ReChat auth service: users, roles, JWTs, refresh tokens, JWKS."""
