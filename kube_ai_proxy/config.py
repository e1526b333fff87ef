"""The server's settings: environment variables, and the same names as command-line flags.

DESIGN.md, "Configuration", is the table this module implements; docs/configuration.md lists
every option for users. Flags override the environment, which overrides the defaults.
"""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Transport = Literal["stdio", "sse", "streamable-http"]
AccessMode = Literal["read-only", "standard", "admin"]
ConfirmMode = Literal["none", "destructive", "writes"]
IdentityMode = Literal["server", "impersonate", "passthrough"]
ArgoCDIdentityMode = Literal["server", "caller"]
TasksMode = Literal["auto", "on", "off"]
CommaList = Annotated[list[str], NoDecode]


def _env(name: str) -> Any:
    # A field read from an environment variable outside the K8S_MCP_ prefix; the field name
    # stays accepted so flags can set it.
    return AliasChoices(name)


# How a worker (mcp/workers.py) gets the command line the server was started with. The CLIs
# never see it (cli_run._PRIVATE_ENV): it may hold --auth-token.
WORKER_ARGS = "KUBE_AI_PROXY_WORKER_ARGS"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="K8S_MCP_", populate_by_name=True, extra="ignore", frozen=True
    )

    transport: Transport = Field(
        default="stdio", description="How clients connect: stdio, sse or streamable-http."
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the HTTP transports bind. A non-loopback address needs --auth-token.",
    )
    port: int = Field(default=8000, ge=0, le=65535, description="Port of the HTTP transports.")
    auth_token: SecretStr | None = Field(
        default=None,
        description="Bearer token HTTP clients must send (Authorization: Bearer TOKEN). "
        "Prefer the environment variable: flags show up in the process list.",
    )
    public_url: str | None = Field(
        default=None,
        description="The URL clients reach the server at, named as the protected resource in "
        "its OAuth metadata; default http://HOST:PORT.",
    )
    oauth_issuer: str | None = Field(
        default=None,
        description="OIDC issuer URL: HTTP clients must send an access token (a JWT) it "
        "signed; its discovery document gives the signing keys. Instead of --auth-token.",
    )
    oauth_audience: str | None = Field(
        default=None,
        description="The audience (aud) tokens must name; required with --oauth-issuer.",
    )
    oauth_required_scopes: CommaList = Field(
        default_factory=list, description="Comma list of scopes every token must carry."
    )
    oauth_user_claim: str = Field(
        default="sub", description="The token claim that names the user (email is common)."
    )
    oauth_groups_claim: str = Field(
        default="groups", description="The token claim that lists the user's groups."
    )
    oauth_user_prefix: str = Field(
        default="",
        description="Put before the user's name when acting as them (e.g. oidc:), as "
        "kube-apiserver's --oidc-username-prefix does.",
    )
    oauth_groups_prefix: str = Field(
        default="", description="Put before each group's name when acting as the user."
    )
    oauth_algorithm: str = Field(
        default="RS256", description="The signing algorithm tokens must use."
    )
    oauth_ca_file: str | None = Field(
        default=None,
        description="PEM file of a CA trusted for the issuer's HTTPS besides the system's.",
    )
    identity: IdentityMode = Field(
        default="server",
        description="Who the cluster sees: server (the server's own credentials), impersonate "
        "(the caller, through Impersonate-User/Group and --as), or passthrough (the caller's "
        "token, for API servers that trust the issuer). Needs --oauth-issuer.",
    )
    argocd_identity: ArgoCDIdentityMode = Field(
        default="server",
        description="Who Argo CD sees: server (the server's Argo CD token) or caller (the "
        "caller's OAuth token, for an Argo CD whose OIDC configuration trusts the same "
        "issuer). caller needs --oauth-issuer.",
    )
    access: AccessMode = Field(
        default="standard",
        description="read-only runs only reads; standard adds ordinary changes and refuses "
        "dangerous ones (exec, port-forward, deleting namespaces...); admin allows every verb.",
    )
    allowed_namespaces: CommaList = Field(
        default_factory=list, description="Comma list of namespaces commands may touch; empty: all."
    )
    allowed_contexts: CommaList = Field(
        default_factory=list,
        description="Comma list of kube contexts commands may use; empty: all.",
    )
    rbac_preflight: bool = Field(
        default=True,
        description="Ask the API server (SelfSubjectAccessReview) before running a command.",
    )
    confirm: ConfirmMode = Field(
        default="none",
        description="Ask the user (MCP elicitation) before a command runs: destructive asks "
        "before deletes, uninstalls, rollbacks and syncs; writes before every change. A client "
        "that cannot be asked is refused.",
    )
    native: bool = Field(
        default=True,
        description="Answer the common reads (kubectl get...) from the API directly, with "
        "structured data; off: always run the CLI.",
    )
    allow_secrets: bool = Field(
        default=False, description="Show Secret values instead of redacting them."
    )
    timeout: float = Field(default=60, gt=0, description="Default time limit per call, seconds.")
    max_timeout: float = Field(
        default=600, gt=0, description="Largest time limit a call may ask for, seconds."
    )
    request_timeout: float = Field(
        default=10,
        gt=0,
        description="Seconds a server (an API server, Argo CD) may take to accept a connection, "
        "and then to send each part of its answer, before it is called unreachable "
        "(`unavailable`): a cluster that stopped answering is reported after this, not after "
        "the call's timeout.",
    )
    tasks: TasksMode = Field(
        default="auto",
        description="Offer the calls that wait (helm --wait, rollout status, kubectl wait, argocd "
        "app sync/wait, istioctl install, a timeout above 30 s) as MCP background tasks to "
        "clients that opt in: the client polls for the result, may cancel, and may reconnect. "
        "auto: on the HTTP transports, off on stdio (where the client's process holds the "
        "server's, and loading the task engine would slow every start by about a second).",
    )
    tasks_backend: str = Field(
        default="memory://",
        description="Where task state is kept: memory:// (this process), or redis://HOST:PORT/DB "
        "so that several replicas share their tasks.",
    )
    max_tasks: int = Field(
        default=20,
        ge=1,
        description="Background tasks running at once (over all servers sharing the task "
        "backend); a call that would be one more is refused as unavailable.",
    )
    max_processes: int = Field(
        default=4,
        ge=1,
        description="CLI processes of one CLI (kubectl, helm...) that run at once, and reads "
        "answered from the Kubernetes API at once; more calls wait their turn. Calls that "
        "wait on the cluster (a watch, a followed log, rollout status, helm --wait, argocd "
        "app sync) do not count.",
    )
    max_queued: int = Field(
        default=100,
        ge=0,
        description="Calls that may wait for a place (per CLI, and for the Kubernetes API); "
        "one more is refused as unavailable. A waiting call still ends at its timeout.",
    )
    max_output: int = Field(
        default=50_000, ge=1000, description="Output budget per call, characters."
    )
    rate_limit: float | None = Field(
        default=None,
        gt=0,
        description="Requests per second the server accepts, with bursts of twice that; more "
        "are refused with an error. Per caller with an OAuth issuer, else in all. Empty: no "
        "limit.",
    )
    rate_limit_total: float | None = Field(
        default=None,
        gt=0,
        description="Requests per second the server accepts from all callers together, with "
        "bursts of twice that (the ceiling over per-caller limits). Empty: no ceiling.",
    )
    metrics_public: bool = Field(
        default=False,
        description="Serve /metrics without authentication on the HTTP transports' port.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve /metrics, without authentication, on this port of --host instead "
        "(for a Prometheus inside the cluster).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="Server processes sharing --port (uvicorn workers), streamable-http only: "
        "each answers calls on a core of its own. Rate limits, /metrics and the journal's "
        "order are per worker; background tasks need a shared --tasks-backend (redis://).",
    )
    ready_max_age: float = Field(
        default=30,
        gt=0,
        description="/readyz answers ready when the API server answered within this many "
        "seconds, or answers a probe now.",
    )
    shutdown_grace: float = Field(
        default=30,
        ge=0,
        description="On SIGTERM, how long calls in flight may finish, seconds; the rest are "
        "cancelled and their processes killed.",
    )
    audit_log: str | None = Field(
        default=None, description="Path of the JSON-lines audit log; '-' for stderr."
    )
    journal: str | None = Field(
        default=None,
        description="Path of the journal of the writes this server performed, each with the "
        "command that reverts it (kube://changes); default "
        "$XDG_STATE_HOME/kube-ai-proxy/journal.jsonl (~/.local/state/...); 'off' for none. "
        "Never kept in read-only mode.",
    )
    allowed_paths: CommaList = Field(
        default_factory=list,
        description="Comma list of directories whose files commands may read (apply -f, local "
        "charts). Empty: none. Nothing is ever written.",
    )
    kubeconfig: str | None = Field(
        default=None,
        validation_alias=_env("KUBECONFIG"),
        description="Kubeconfig file(s); default: kubectl's (~/.kube/config), or the in-cluster "
        "config inside a pod.",
    )
    context: str | None = Field(
        default=None,
        validation_alias=_env("K8S_CONTEXT"),
        description="Kube context to use; default: the kubeconfig's current one.",
    )
    argocd_server: str | None = Field(
        default=None,
        validation_alias=_env("ARGOCD_SERVER"),
        description="Argo CD API server: host[:port] (HTTPS), or an https:// or http:// URL.",
    )
    argocd_instances: str | None = Field(
        default=None,
        description="A YAML file of named Argo CD servers, each with its token (a file or an "
        "environment variable); a call picks one with --argocd-context NAME or the tool's "
        "context argument. Instead of ARGOCD_SERVER (docs/configuration.md).",
    )
    argocd_auth_token: SecretStr | None = Field(
        default=None,
        validation_alias=_env("ARGOCD_AUTH_TOKEN"),
        description="Argo CD API token.",
    )
    argocd_username: str | None = Field(
        default=None,
        validation_alias=_env("ARGOCD_USERNAME"),
        description="Argo CD user whose session token is used when there is no API token.",
    )
    argocd_password: SecretStr | None = Field(
        default=None,
        validation_alias=_env("ARGOCD_PASSWORD"),
        description="That user's password (exchanged for a session token, never given to a CLI).",
    )
    argocd_insecure: bool = Field(
        default=False,
        validation_alias=_env("ARGOCD_INSECURE"),
        description="Skip TLS verification of the Argo CD server.",
    )
    argocd_ca_file: str | None = Field(
        default=None,
        validation_alias=_env("ARGOCD_CA_FILE"),
        description="PEM file of the CA that signed the Argo CD server's certificate, trusted "
        "besides the system's CAs.",
    )

    @field_validator(
        "allowed_namespaces",
        "allowed_contexts",
        "allowed_paths",
        "oauth_required_scopes",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_paths")
    @classmethod
    def _resolve_paths(cls, value: list[str]) -> list[str]:
        # Symlinks are resolved once here and again for every file a command names.
        return [str(Path(p).expanduser().resolve()) for p in value]

    def _check_workers(self) -> None:
        if self.workers == 1:
            return
        if self.transport != "streamable-http":
            raise ValueError(
                f"workers ({self.workers}) serve streamable-http only (each request may reach "
                f"any worker); {self.transport} keeps a session in one process"
            )
        if self.metrics_port is not None:
            raise ValueError(
                "metrics_port cannot be shared by several workers; serve /metrics on --port "
                "(K8S_MCP_METRICS_PUBLIC) or run replicas of one worker each"
            )
        if self.tasks == "on" and not self.tasks_shared:
            raise ValueError(
                "tasks with several workers need a shared tasks_backend (redis://HOST:PORT/DB): "
                "a task's tasks/get may reach another worker"
            )

    @property
    def journal_path(self) -> Path | None:
        """Where the journal is kept (K8S_MCP_JOURNAL); None when there is none."""
        if self.access == "read-only" or self.journal == "off":
            return None
        from kube_ai_proxy.journal import default_path

        return Path(self.journal) if self.journal else default_path()

    @property
    def tasks_shared(self) -> bool:
        """Whether task state is kept outside this process (Redis), shared with replicas."""
        return not self.tasks_backend.startswith("memory://")

    @property
    def tasks_on(self) -> bool:
        """Whether calls that wait are offered as background tasks (K8S_MCP_TASKS)."""
        if self.tasks == "auto" and self.workers > 1:
            # A task lives in the worker that made it; another worker answers its tasks/get.
            return self.tasks_shared
        return self.tasks == "on" or (self.tasks == "auto" and self.transport != "stdio")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.tasks_backend.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError(
                f"tasks_backend {self.tasks_backend!r} is neither memory:// nor "
                "redis://HOST:PORT/DB (rediss:// with TLS)"
            )
        if self.timeout > self.max_timeout:
            raise ValueError(
                f"timeout ({self.timeout:g}) is larger than max_timeout ({self.max_timeout:g})"
            )
        authenticated = self.auth_token is not None or self.oauth_issuer is not None
        if self.transport != "stdio" and not authenticated and not is_loopback(self.host):
            raise ValueError(
                f"refusing to serve {self.transport} on {self.host} without authentication: "
                "set K8S_MCP_AUTH_TOKEN (or --auth-token) or K8S_MCP_OAUTH_ISSUER, or bind "
                "127.0.0.1"
            )
        self._check_oauth()
        self._check_workers()
        if self.argocd_instances:
            single = {
                "ARGOCD_SERVER": self.argocd_server,
                "ARGOCD_AUTH_TOKEN": self.argocd_auth_token,
                "ARGOCD_USERNAME": self.argocd_username,
                "ARGOCD_PASSWORD": self.argocd_password,
                "ARGOCD_CA_FILE": self.argocd_ca_file,
                "ARGOCD_INSECURE": self.argocd_insecure or None,
            }
            given = [name for name, value in single.items() if value is not None]
            if given:
                raise ValueError(
                    f"K8S_MCP_ARGOCD_INSTANCES and {', '.join(given)} are one or the other: "
                    "give each server its token and CA in the instances file (tokenFile or "
                    "tokenEnv, caFile, insecure) instead"
                )
        return self

    def _check_oauth(self) -> None:
        if self.oauth_issuer is None:
            if self.identity != "server" or self.argocd_identity != "server":
                raise ValueError(
                    "acting as the caller needs the caller named by an OAuth token: set "
                    "K8S_MCP_OAUTH_ISSUER and K8S_MCP_OAUTH_AUDIENCE too"
                )
            return
        if self.auth_token is not None:
            raise ValueError(
                "K8S_MCP_AUTH_TOKEN and K8S_MCP_OAUTH_ISSUER are one or the other: a static "
                "token for a single user, or tokens from the issuer for many"
            )
        if self.transport == "stdio":
            raise ValueError(
                "K8S_MCP_OAUTH_ISSUER protects the HTTP transports; stdio has no tokens (set "
                "K8S_MCP_TRANSPORT=streamable-http or sse)"
            )
        if not self.oauth_audience:
            raise ValueError(
                "K8S_MCP_OAUTH_AUDIENCE is required with K8S_MCP_OAUTH_ISSUER: without it a "
                "token the issuer made for any other service would be accepted here"
            )
        scheme, _, rest = self.oauth_issuer.partition("://")
        host = rest.split("/")[0].rsplit(":", 1)[0].strip("[]")
        if scheme != "https" and not (scheme == "http" and is_loopback(host)):
            raise ValueError(
                f"K8S_MCP_OAUTH_ISSUER must be an https:// URL (http:// only on loopback), "
                f"not {self.oauth_issuer!r}"
            )

    def resource_url(self) -> str:
        """The server's own base URL, as clients reach it."""
        return self.public_url or f"http://{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"K8S_MCP_{field.upper()}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, named after the field (--allowed-namespaces), default None so
    only flags actually given override the environment."""
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        default = field.get_default(call_default_factory=True)
        help_text = f"{field.description} [env {env_name(name)}"
        if default not in (None, []):
            help_text += f"; default {default}"
        help_text = (help_text + "]").replace("%", "%%")
        if field.annotation is bool:
            parser.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        elif get_origin(field.annotation) is Literal:
            choices = get_args(field.annotation)
            parser.add_argument(flag, dest=name, choices=choices, default=None, help=help_text)
        else:
            metavar = "VALUE"
            if field.annotation is int:
                metavar = "N"
            elif field.annotation is float:
                metavar = "SECONDS"
            elif name.startswith("allowed_"):
                metavar = "A,B,..."
            parser.add_argument(flag, dest=name, default=None, metavar=metavar, help=help_text)


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from the environment, with `overrides` (from flags) taking precedence."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    return Settings(**given)
