"""The identity provider the OAuth tests trust (e2e/harness/hydra.py), on its own: Ory Hydra
hands out access tokens through the authorization code flow with PKCE, signed with a key it
publishes, with the claims a relying party checks. No cluster is needed."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization

from e2e.harness.cache import CacheLayout
from e2e.harness.hydra import IdentityProvider, identity_provider

AUDIENCE = "kube-ai-proxy"
SCOPES = ["openid", "mcp"]


@pytest.fixture(scope="module")
def provider(cache_layout: CacheLayout) -> Iterator[IdentityProvider]:
    with identity_provider(cache_layout) as running:
        yield running


def _get(provider: IdentityProvider, url: str) -> dict[str, Any]:
    trust = ssl.create_default_context(cafile=str(provider.ca_file))
    response = httpx.get(url, verify=trust, trust_env=False)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_a_token_carries_the_user_groups_audience_and_scopes(provider: IdentityProvider) -> None:
    claims = _unverified_claims(provider.token("alice", ["team-a"], AUDIENCE, SCOPES))

    assert claims["iss"] == provider.issuer
    assert claims["sub"] == "alice"
    assert claims["groups"] == ["team-a"]
    assert claims["aud"] == [AUDIENCE]
    assert claims["scp"] == SCOPES
    assert {"client_id", "jti", "iat", "exp"} <= claims.keys()
    # Consent's claims sit at the top only, not mirrored under `ext`.
    assert "ext" not in claims


def test_the_token_is_signed_with_a_key_the_issuer_publishes(provider: IdentityProvider) -> None:
    token = provider.token("alice", ["team-a"], AUDIENCE, SCOPES)
    # The relying party's way: the discovery document at the issuer, then its keys.
    discovery = _get(provider, f"{provider.issuer}/.well-known/openid-configuration")
    keys = KeySet.import_key_set(cast(KeySetSerialization, _get(provider, discovery["jwks_uri"])))

    verified = jwt.decode(token, keys, algorithms=["RS256"])

    assert discovery["issuer"] == provider.issuer
    assert verified.claims == _unverified_claims(token)


def test_each_token_is_for_whom_it_was_asked(provider: IdentityProvider) -> None:
    alice = _unverified_claims(provider.token("alice", ["team-a"], AUDIENCE, SCOPES))
    bob = _unverified_claims(provider.token("bob", ["team-b", "readers"], "elsewhere", ["mcp"]))

    assert (bob["sub"], bob["groups"], bob["aud"], bob["scp"]) == (
        "bob",
        ["team-b", "readers"],
        ["elsewhere"],
        ["mcp"],
    )
    assert bob["client_id"] != alice["client_id"]
    assert bob["jti"] != alice["jti"]
