"""An OIDC issuer for the fast tests: its discovery document and JWKS served on loopback
(the e2e suite uses a real identity provider), and tokens signed with its key, or made wrong
on purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fakes.json_server import json_server

AUDIENCE = "kube-ai-proxy"


class Issuer:
    def __init__(self, url: str) -> None:
        self.url = url
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.key.as_dict(private=False), "alg": "RS256", "use": "sig"}]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks",
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def claims(self, user: str = "alice", **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": user,
            "groups": ["team-a"],
            "scope": "mcp",
            "client_id": "e2e-client",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 600,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, user: str = "alice", key: RSAKey | None = None, **changes: Any) -> str:
        return jwt.encode(
            {"alg": "RS256", "kid": "k1"}, self.claims(user, **changes), key or self.key
        )

    def unsigned(self, user: str = "alice") -> str:
        """`alg: none`, no signature."""
        header = _b64({"alg": "none", "typ": "JWT"})
        return f"{header}.{_b64(self.claims(user))}."

    def hmac_with_public_key(self, user: str = "alice") -> str:
        """HS256 keyed with the issuer's public key in PEM: the algorithm confusion attack.
        Signed by hand: joserfc refuses to make it."""
        signed = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(self.claims(user))}"
        secret = self.key.as_pem(private=False)
        mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
        return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _b64(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


@contextmanager
def serve_issuer() -> Iterator[Issuer]:
    """An issuer on a free loopback port until the block ends."""
    documents: dict[str, dict[str, Any]] = {}

    def answer(path: str, headers: Message) -> tuple[int, Any]:
        document = documents.get(path)
        return (200 if document is not None else 404), document

    with json_server(answer) as url:
        issuer = Issuer(url)
        documents["/.well-known/openid-configuration"] = issuer.discovery()
        documents["/jwks"] = issuer.jwks()
        yield issuer
