"""Bearer-token authentication for the HTTP transports (DESIGN invariant 8)."""

from __future__ import annotations

import hashlib
import hmac

from fastmcp.server.auth import AccessToken, TokenVerifier


class BearerToken(TokenVerifier):
    """Accepts exactly one token. The comparison runs in constant time over digests, so
    response timing tells nothing about how much of a guess was right."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._digest = hashlib.sha256(token.encode()).digest()

    async def verify_token(self, token: str) -> AccessToken | None:
        candidate = hashlib.sha256(token.encode()).digest()
        if not hmac.compare_digest(candidate, self._digest):
            return None
        return AccessToken(token=token, client_id="bearer", scopes=[])
