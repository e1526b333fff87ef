"""Argo CD's REST API through httpx.

`ArgoCD` is one Argo CD API server: an `httpx.AsyncClient` opened on first use and closed by
`aclose()`, a bearer token (an API token, or a session token exchanged for a username and
password, exchanged again when Argo CD says it expired), TLS verified against the system's CAs
plus an optional CA file unless verification is turned off. `get` answers the JSON of one
request, read up to a size cap; every failure is a `BackendError` whose message is Argo CD's own
(`{"error", "code", "message"}`), and never carries a credential: the token and the password
are scrubbed from every message that leaves this module. Nothing here knows about MCP.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from adapters.errors import BackendError, BackendErrorCode, Unreachable

if TYPE_CHECKING:
    # Imported when the first request is sent (_http, _send): a server that never reaches
    # Argo CD does not pay for httpx at start-up.
    import httpx

# Argo CD answers a large installation's application list in megabytes; more than this is not
# read (narrow the request instead).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_REDACTED = "REDACTED"


@dataclass(frozen=True)
class ArgoCDConfig:
    """How to reach one Argo CD API server."""

    server: str  # host[:port], or http(s)://host[:port][/root-path]
    token: str | None = None
    username: str | None = None
    password: str | None = None
    insecure: bool = False  # skip TLS verification
    ca_file: str | None = None  # a CA bundle (PEM) to trust besides the system's
    timeout: float = 10  # connecting, and each wait for data (K8S_MCP_REQUEST_TIMEOUT)

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or (self.username and self.password))


@dataclass(frozen=True)
class ServerAddress:
    """ARGOCD_SERVER, read: the REST base URL and what the argocd CLI needs to reach the same
    server (its address without a scheme, plaintext or not, a gRPC-web root path)."""

    base_url: str
    cli_address: str
    plaintext: bool
    root_path: str


def parse_server(server: str) -> ServerAddress:
    """`host[:port]` (HTTPS, as the argocd CLI assumes), `https://host[:port][/path]` or
    `http://host[:port][/path]` (plaintext)."""
    text = server.strip()
    if not text:
        raise BackendError("unavailable", "ARGOCD_SERVER is empty; set it to host[:port]")
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(
            "unavailable",
            f"ARGOCD_SERVER={text!r} is not host[:port] or an http(s):// URL of the Argo CD "
            "API server",
        )
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise BackendError(
            "unavailable",
            "ARGOCD_SERVER must name the server only (no credentials, query or fragment); put "
            "the token in ARGOCD_AUTH_TOKEN",
        )
    try:
        port = parts.port
    except ValueError:
        raise BackendError("unavailable", f"ARGOCD_SERVER={text!r} has an invalid port") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    address = f"{host}:{port}" if port is not None else host
    root = parts.path.strip("/")
    base = f"{parts.scheme}://{address}" + (f"/{root}" if root else "")
    return ServerAddress(base, address, parts.scheme == "http", root)


def tls_verification(config: ArgoCDConfig) -> ssl.SSLContext | bool:
    """What httpx verifies the server with: the system's CAs (and ca_file), or nothing."""
    if config.insecure:
        return False
    context = ssl.create_default_context()
    if config.ca_file:
        try:
            context.load_verify_locations(cafile=config.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise BackendError(
                "unavailable", f"the Argo CD CA file {config.ca_file} cannot be read: {exc}"
            ) from None
    return context


def _message(body: bytes) -> str:
    """Argo CD's error message from an error answer ({"error", "code", "message"})."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:2000]
    if isinstance(parsed, dict):
        for key in ("message", "error"):
            if isinstance(parsed.get(key), str) and parsed[key]:
                return str(parsed[key])
    return text[:2000]


class ArgoCDError(BackendError):
    """An error answer of Argo CD (`status`: its HTTP status), or a request that got none
    (`status` None)."""

    def __init__(self, code: BackendErrorCode, message: str, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status


_STATUS_CODES: Mapping[int, BackendErrorCode] = {
    401: "rbac_denied",
    403: "rbac_denied",
    404: "not_found",
    503: "unavailable",
    504: "timeout",
}


class ArgoCD:
    """One Argo CD API server. The HTTP client is opened on first use; `aclose()` closes it."""

    def __init__(
        self, config: ArgoCDConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.address = parse_server(config.server)
        self._transport = transport  # tests replay recorded answers through one
        self._client: httpx.AsyncClient | None = None
        self._session: str | None = None
        self._login_lock = asyncio.Lock()
        # Told how long each request took (the server's metrics), when set.
        self.on_request: Callable[[float], None] | None = None

    # -- credentials -------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """`text` without the credentials this client holds."""
        for secret in (self.config.token, self.config.password, self._session):
            if secret:
                text = text.replace(secret, _REDACTED)
        return text

    async def token(self) -> str:
        """The bearer token: the configured one, else a session token for the username and
        password (`POST /api/v1/session`), obtained once and again after it expires."""
        if self.config.token:
            return self.config.token
        async with self._login_lock:
            if self._session is None:
                self._session = await self._login()
            return self._session

    async def _login(self) -> str:
        if not (self.config.username and self.config.password):
            raise BackendError(
                "unavailable",
                "no Argo CD credentials: set ARGOCD_AUTH_TOKEN (or ARGOCD_USERNAME and "
                "ARGOCD_PASSWORD)",
            )
        body = {"username": self.config.username, "password": self.config.password}
        answer = await self._send("POST", "/api/v1/session", None, body, None, 1024 * 1024)
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise BackendError("api_error", "Argo CD answered the login without a token")
        return token

    # -- requests ----------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.address.base_url,
                verify=tls_verification(self.config),
                timeout=httpx.Timeout(self.config.timeout),
                headers={"Accept": "application/json"},
                follow_redirects=False,
                trust_env=False,  # no proxy or .netrc credentials from the environment
                transport=self._transport,
            )
        return self._client

    async def get(
        self,
        path: str,
        params: Mapping[str, str | list[str]] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Any:
        """The JSON Argo CD answers to `GET path`. A session token that expired is renewed
        once."""
        token = await self.token()
        try:
            return await self._send("GET", path, params, None, token, max_bytes)
        except ArgoCDError as exc:
            if exc.status != 401 or self.config.token:
                raise
        async with self._login_lock:
            if self._session == token:
                self._session = None
        return await self._send("GET", path, params, None, await self.token(), max_bytes)

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | list[str]] | None,
        body: Any,
        token: str | None,
        max_bytes: int,
    ) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = self._http().build_request(
            method,
            path,
            params=dict(params) if params else None,
            headers=headers,
            content=json.dumps(body).encode() if body is not None else None,
        )
        where = f"Argo CD at {self.address.base_url}"
        silent = f"{where} did not answer within {self.config.timeout:g}s (K8S_MCP_REQUEST_TIMEOUT)"
        started = time.monotonic()
        try:
            response = await self._http().send(request, stream=True)
        except httpx.TimeoutException:
            raise Unreachable(silent) from None
        except httpx.HTTPError as exc:
            raise Unreachable(self._connect_message(where, exc)) from None
        try:
            content = await self._read(response, max_bytes, where, path)
        except httpx.TimeoutException:
            raise Unreachable(f"{silent}: its answer stopped halfway") from None
        except httpx.HTTPError as exc:
            raise Unreachable(self.scrub(f"{where} broke off its answer: {exc}")) from None
        finally:
            await response.aclose()
            if self.on_request is not None:
                self.on_request(time.monotonic() - started)
        if response.status_code >= 400:
            raise self._status_error(response.status_code, content, path)
        try:
            return json.loads(content) if content else None
        except (ValueError, RecursionError):
            raise BackendError(
                "api_error", f"{where} answered {path} with something that is not JSON"
            ) from None

    @staticmethod
    async def _read(response: httpx.Response, max_bytes: int, where: str, path: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded: the cap counts what is held
            size += len(chunk)
            if size > max_bytes:
                raise BackendError(
                    "api_error",
                    f"{where} answered {path} with more than {max_bytes} bytes, more than this "
                    "server reads; narrow the request (a project with -p, a selector with -l, "
                    "one application by name)",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _connect_message(self, where: str, exc: httpx.HTTPError) -> str:
        reason = str(exc) or type(exc).__name__
        if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
            return self.scrub(
                f"{where}: its TLS certificate was not verified ({reason}); trust its CA with "
                "ARGOCD_CA_FILE, or turn verification off with ARGOCD_INSECURE=true"
            )
        return self.scrub(f"{where} could not be reached: {reason}")

    def _status_error(self, status: int, body: bytes, path: str) -> ArgoCDError:
        message = self.scrub(_message(body)) or f"HTTP {status}"
        code = _STATUS_CODES.get(status, "api_error")
        if status == 401:
            message = (
                f"Argo CD refused the credentials (401): {message}; check ARGOCD_AUTH_TOKEN "
                "(or ARGOCD_USERNAME and ARGOCD_PASSWORD)"
            )
        elif status == 403:
            message = (
                f"Argo CD: {message} (403); the account may lack the RBAC permission, or the "
                "object does not exist (Argo CD does not say which)"
            )
        else:
            message = f"Argo CD: {message} ({status} on {path})"
        return ArgoCDError(code, message, status)

    async def unreachable(self) -> Unreachable | None:
        """Why this Argo CD cannot be reached now; None when it answers (/api/version, which
        needs no token)."""
        try:
            await self._send("GET", "/api/version", None, None, None, 64 * 1024)
        except Unreachable as exc:
            return exc
        except BackendError:
            return None
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
