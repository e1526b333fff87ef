"""The HTTP transports as an OAuth 2.1 resource server (K8S_MCP_OAUTH_ISSUER).

fastmcp verifies the tokens (JWTVerifier: signature against the issuer's JWKS, algorithm,
expiry, issuer, audience, scopes) and serves the protected resource metadata (RFC 9728) and
the 401 challenge that points to it (RemoteAuthProvider). What is added here: the issuer's
JWKS found through its OIDC discovery document when the server starts, a token that names no
user refused like an invalid one, and every refusal written to the audit log with its
reason and never the token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import time
from typing import Any

import httpx2
from fastmcp.server.auth import AccessToken, RemoteAuthProvider, TokenVerifier
from fastmcp.server.auth.providers.jwt import JWTVerifier
from pydantic import AnyHttpUrl

from kube_ai_proxy.audit import AuditLog
from kube_ai_proxy.config import Settings, is_loopback
from kube_ai_proxy.errors import StartupError
from kube_ai_proxy.metrics import Metrics


def oauth_provider(settings: Settings, audit: AuditLog, metrics: Metrics) -> RemoteAuthProvider:
    issuer = str(settings.oauth_issuer)
    verify: ssl.SSLContext | bool = True
    if settings.oauth_ca_file:
        verify = ssl.create_default_context()
        verify.load_verify_locations(settings.oauth_ca_file)
    jwks_uri = discover_jwks_uri(issuer, verify)
    verifier = JWTVerifier(
        jwks_uri=jwks_uri,
        issuer=issuer,
        audience=settings.oauth_audience,
        algorithm=settings.oauth_algorithm,
        required_scopes=settings.oauth_required_scopes or None,
        # Only to trust the CA file: a client kept for the process, which fetches the keys
        # again when a token names one it does not know.
        http_client=httpx2.AsyncClient(verify=verify, timeout=10) if verify is not True else None,
    )
    return RemoteAuthProvider(
        token_verifier=AuditedVerifier(verifier, settings, audit, metrics),
        authorization_servers=[AnyHttpUrl(issuer)],
        base_url=settings.resource_url(),
        scopes_supported=settings.oauth_required_scopes or None,
        resource_name="kube-ai-proxy",
    )


def discover_jwks_uri(issuer: str, verify: ssl.SSLContext | bool) -> str:
    """The JWKS URL of the issuer's OIDC discovery document (read once, at start)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx2.get(url, verify=verify, timeout=10)
        response.raise_for_status()
        document = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise StartupError(
            f"the OIDC discovery document of K8S_MCP_OAUTH_ISSUER could not be read from "
            f"{url}: {exc}. Check the issuer URL (and K8S_MCP_OAUTH_CA_FILE for a private CA)."
        ) from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        found = document.get("issuer") if isinstance(document, dict) else None
        raise StartupError(
            f"the discovery document at {url} names the issuer {found!r}, not {issuer!r}: "
            "K8S_MCP_OAUTH_ISSUER must be the issuer exactly as its tokens name it."
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise StartupError(f"the discovery document at {url} gives no jwks_uri")
    if jwks_uri.startswith("http://") and not _loopback_url(jwks_uri):
        raise StartupError(f"the issuer's keys must come over HTTPS, not {jwks_uri}")
    return jwks_uri


class AuditedVerifier(TokenVerifier):
    """fastmcp's verification, then the user claim; refusals audited."""

    def __init__(
        self, inner: JWTVerifier, settings: Settings, audit: AuditLog, metrics: Metrics
    ) -> None:
        super().__init__(required_scopes=inner.required_scopes)
        self.inner = inner
        self.settings = settings
        self.audit = audit
        self.metrics = metrics

    async def verify_token(self, token: str) -> AccessToken | None:
        verified = await self.inner.verify_token(token)
        claim = self.settings.oauth_user_claim
        user = verified.claims.get(claim) if verified is not None else None
        if isinstance(user, str) and user:
            return verified
        reason = (
            f"the token has no {claim!r} claim naming its user"
            if verified is not None
            else why_refused(token, self.settings)
        )
        self.metrics.auth_refusals.inc()
        self.audit.refusal(
            reason=reason,
            token_sha256=hashlib.sha256(token.encode()).hexdigest()[:16],
            claimed=_unverified_identity(token),
        )
        return None


def why_refused(token: str, settings: Settings) -> str:
    """Why fastmcp refused a token, for the audit log: its claims read without verification
    (the signature already failed or was not reached), checked in the verifier's order."""
    parts = token.split(".")
    if len(parts) != 3:
        return "not a JWT"
    header, claims = _segment(parts[0]), _segment(parts[1])
    if header is None or claims is None:
        return "not a JWT"
    if header.get("alg") != settings.oauth_algorithm:
        return f"signed with {header.get('alg')!r}, not {settings.oauth_algorithm}"
    now = time.time()
    if isinstance(claims.get("exp"), int | float) and claims["exp"] < now:
        return "expired"
    if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now + 60:
        return "not valid yet"
    if claims.get("iss") != settings.oauth_issuer:
        return f"issued by {claims.get('iss')!r}"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.oauth_audience not in audiences:
        return f"made for the audience {audience!r}"
    scope = claims.get("scope", claims.get("scp", ""))
    scopes = set(scope.split() if isinstance(scope, str) else scope or [])
    missing = sorted(set(settings.oauth_required_scopes) - scopes)
    if missing:
        return f"missing the scopes {' '.join(missing)}"
    return "bad signature, or a key the issuer does not publish"


def _unverified_identity(token: str) -> dict[str, Any]:
    """Who the refused token claims to be: unverified, for an investigation only."""
    parts = token.split(".")
    claims = _segment(parts[1]) if len(parts) == 3 else None
    if claims is None:
        return {}
    return {
        key: claims[key]
        for key in ("sub", "iss", "client_id", "jti")
        if isinstance(claims.get(key), str)
    }


def _segment(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _loopback_url(url: str) -> bool:
    host = httpx2.URL(url).host
    return is_loopback(host)
