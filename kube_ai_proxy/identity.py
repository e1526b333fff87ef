"""Who makes a call, and who the cluster sees making it (K8S_MCP_IDENTITY).

With an OAuth issuer, every HTTP request carries a token the server has verified
(mcp/oauth.py); `caller_of` reads the person out of its claims. `server` mode runs every call
with the server's own credentials and only records the caller; `impersonate` adds
Impersonate-User/Group headers to every API request and `--as`/`--as-group` (helm:
`--kube-as-user`/`--kube-as-group`) to every CLI run; `passthrough` sends the caller's own
token to the API server, which must trust the same issuer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.kubernetes import ActAs
from kube_ai_proxy.config import Settings
from kube_ai_proxy.parse.clispec import Tool


@dataclass(frozen=True)
class Caller:
    """The person behind a verified token, named as the cluster will see them (prefixes
    applied)."""

    user: str
    groups: tuple[str, ...] = ()
    token_id: str | None = None  # the token's jti
    client_id: str | None = None  # the OAuth client the token was issued to
    token: str | None = field(default=None, repr=False)

    def audited(self) -> dict[str, Any]:
        """What the audit log says about the caller: never the token itself."""
        return {
            "user": self.user,
            "groups": list(self.groups),
            "token_id": self.token_id,
            "client_id": self.client_id,
        }


def caller_of(claims: Mapping[str, Any], token: str, settings: Settings) -> Caller:
    """The caller a verified token's claims name (a token without the user claim was
    refused by mcp/oauth.py)."""
    user = str(claims[settings.oauth_user_claim])
    groups = claims.get(settings.oauth_groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    return Caller(
        user=settings.oauth_user_prefix + user,
        groups=tuple(settings.oauth_groups_prefix + str(g) for g in groups if g),
        token_id=str(claims["jti"]) if claims.get("jti") else None,
        client_id=str(claims.get("client_id") or claims.get("azp") or "") or None,
        token=token,
    )


def acting_as(settings: Settings, caller: Caller | None) -> ActAs | None:
    """Who the API requests of a call are made as; None: the server's own credentials."""
    if caller is None or settings.identity == "server":
        return None
    if settings.identity == "passthrough":
        return ActAs(bearer=caller.token)
    return ActAs(user=caller.user, groups=caller.groups)


def cli_identity_args(tool: Tool, act_as: ActAs | None) -> list[str]:
    """The flags that make a CLI act as the caller (impersonation); passthrough gives the
    CLI a kubeconfig with the caller's token instead (passthrough.py)."""
    if act_as is None or act_as.user is None:
        return []
    if tool == "helm":
        return [f"--kube-as-user={act_as.user}"] + [
            f"--kube-as-group={group}" for group in act_as.groups
        ]
    if tool in ("kubectl", "istioctl"):
        return [f"--as={act_as.user}"] + [f"--as-group={group}" for group in act_as.groups]
    return []  # argocd talks to Argo CD with its own token (docs/security.md, "Identity")
