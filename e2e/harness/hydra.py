"""Ory Hydra as the e2e tests' OAuth 2.1 / OpenID Connect provider, on loopback with TLS.

`identity_provider(layout)` runs `hydra serve all` (built from e2e/gomod/hydra, see
binaries.py) with an in-memory store, a certificate from a private CA made for this run, and
access tokens that are JWTs. Hydra leaves logging in and consenting to an application of one's
own; here it is a small HTTP handler of the harness's, which logs in whoever the test asks a
token for and grants the client what it asked for, with the test's groups in the access token.

    with identity_provider(layout) as provider:
        token = provider.token("alice", ["team-a"], "kube-ai-proxy", ["openid", "mcp"])
        # a relying party trusts provider.issuer, through provider.ca_file

`token` walks the authorization code flow with PKCE as a browser and a public client would:
GET /oauth2/auth, the redirects through the login and consent handler, the code, POST
/oauth2/token. Claims of the token: iss, sub (the user), aud (a list), scp (a list of scopes),
groups, client_id, jti, iat, nbf, exp.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import ssl
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from e2e.harness.binaries import FULL_STEPS, ensure_binaries
from e2e.harness.cache import CacheLayout
from e2e.harness.errors import HarnessError
from e2e.harness.processes import free_ports, running
from e2e.harness.tls import LOOPBACK, TlsFiles, write_tls_files

# Where clients are sent back with their code. Nothing needs to listen there: the flow stops at
# the redirect and reads the code from it.
REDIRECT_URI = f"http://{LOOPBACK}/callback"
STARTUP_SECONDS = 60
# Each HTTP exchange with Hydra; generous, because the machine may be busy building.
TIMEOUT_SECONDS = 30
# A flow takes five redirects: login, back to Hydra, consent, back to Hydra, the client.
MAX_REDIRECTS = 10


def hydra_dir(layout: CacheLayout) -> Path:
    """The provider's log, and each run's certificates and configuration (removed at exit)."""
    return layout.root / "hydra"


@dataclass(frozen=True)
class _Grant:
    """Whom one authorization request is for."""

    user: str
    groups: tuple[str, ...]


class _Pending:
    """The grants of the flows under way, by their `state`: the login and consent handler finds
    the state in the authorization request Hydra shows it, and so whom to log in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}

    @contextmanager
    def expecting(self, grant: _Grant) -> Iterator[str]:
        """A fresh state that stands for `grant` while the body runs."""
        state = secrets.token_urlsafe(16)
        with self._lock:
            self._grants[state] = grant
        try:
            yield state
        finally:
            with self._lock:
                del self._grants[state]

    def grant(self, request_url: str) -> _Grant:
        """The grant of the authorization request `request_url` (the URL the client opened)."""
        states = parse_qs(urlsplit(request_url).query).get("state", [])
        with self._lock:
            found = self._grants.get(states[0]) if states else None
        if found is None:
            raise HarnessError(f"no token was asked for with the request {request_url}")
        return found


class _LoginConsent:
    """Accepts every login and consent through Hydra's admin API; returns where Hydra says the
    browser goes next."""

    def __init__(self, admin_url: str, pending: _Pending) -> None:
        self._admin = admin_url
        self._pending = pending

    def login(self, challenge: str) -> str:
        path = "/admin/oauth2/auth/requests/login"
        request = self._call("GET", path, {"login_challenge": challenge})
        grant = self._pending.grant(request["request_url"])
        accepted = self._call(
            "PUT", f"{path}/accept", {"login_challenge": challenge}, {"subject": grant.user}
        )
        return str(accepted["redirect_to"])

    def consent(self, challenge: str) -> str:
        path = "/admin/oauth2/auth/requests/consent"
        request = self._call("GET", path, {"consent_challenge": challenge})
        grant = self._pending.grant(request["request_url"])
        decision = {
            "grant_scope": request["requested_scope"],
            "grant_access_token_audience": request["requested_access_token_audience"],
            # Claims of the access token; oauth2.allowed_top_level_claims puts them at its top.
            "session": {"access_token": {"groups": list(grant.groups)}},
        }
        accepted = self._call("PUT", f"{path}/accept", {"consent_challenge": challenge}, decision)
        return str(accepted["redirect_to"])

    def _call(
        self, method: str, path: str, params: dict[str, str], body: Any = None
    ) -> dict[str, Any]:
        response = httpx.request(
            method,
            f"{self._admin}{path}",
            params=params,
            json=body,
            timeout=TIMEOUT_SECONDS,
            trust_env=False,
        )
        return _json_object(response, f"{method} {path}")


class _Handler(BaseHTTPRequestHandler):
    """GET /login?login_challenge=... and /consent?consent_challenge=..., as Hydra redirects
    the browser to them: accept, and redirect it back."""

    server: _HandlerServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            if url.path == "/login":
                target = self.server.app.login(query["login_challenge"][0])
            elif url.path == "/consent":
                target = self.server.app.consent(query["consent_challenge"][0])
            else:
                self._reply(404, f"no page {url.path}")
                return
        except (HarnessError, KeyError, httpx.HTTPError) as error:
            # The browser of IdentityProvider.token shows this in its error.
            self._reply(500, f"{type(error).__name__}: {error}")
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _reply(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a failure reaches the test through the browser's error, with the reason."""


class _HandlerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: _LoginConsent) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.app = app


@contextmanager
def _serving(app: _LoginConsent) -> Iterator[str]:
    """Serve the handler on a free loopback port while the body runs; yields its URL."""
    with _HandlerServer(app) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{LOOPBACK}:{server.server_port}"
        finally:
            server.shutdown()
            thread.join()


def pkce_challenge(verifier: str) -> str:
    """RFC 7636's S256 code challenge of `verifier`."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class IdentityProvider:
    """A running Hydra: what a relying party is configured with (`issuer`, `ca_file`), and
    `token` for the tests' callers. `log` is Hydra's output, for a failure to quote."""

    def __init__(
        self,
        issuer: str,
        public_url: str,
        admin_url: str,
        tls: TlsFiles,
        log: Path,
        pending: _Pending,
    ) -> None:
        # The issuer exactly as Hydra writes it in tokens and in its discovery document.
        self.issuer = issuer
        self.ca_file = tls.ca
        self.log = log
        self._public = public_url
        self._admin = admin_url
        self._trust = ssl.create_default_context(cafile=str(tls.ca))
        self._pending = pending
        self._clients: dict[tuple[str, tuple[str, ...]], str] = {}
        self._clients_lock = threading.Lock()

    def token(self, user: str, groups: Sequence[str], audience: str, scopes: Sequence[str]) -> str:
        """An access token (a JWT) for `user` in `groups`, made for `audience` with `scopes`,
        by the authorization code flow with PKCE."""
        client_id = self._client(audience, tuple(scopes))
        verifier = secrets.token_urlsafe(48)
        # A new browser each time: no session cookie of an earlier user, whom Hydra would
        # otherwise log in again without asking.
        with (
            self._pending.expecting(_Grant(user, tuple(groups))) as state,
            httpx.Client(verify=self._trust, timeout=TIMEOUT_SECONDS, trust_env=False) as browser,
        ):
            authorization = browser.get(
                f"{self._public}/oauth2/auth",
                params={
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": REDIRECT_URI,
                    "scope": " ".join(scopes),
                    "audience": audience,
                    "state": state,
                    "code_challenge": pkce_challenge(verifier),
                    "code_challenge_method": "S256",
                },
            )
            code = self._follow_to_client(browser, authorization, state)
            response = browser.post(
                f"{self._public}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "client_id": client_id,
                    "code_verifier": verifier,
                },
            )
        return str(self._json(response, "POST /oauth2/token")["access_token"])

    def _client(self, audience: str, scopes: tuple[str, ...]) -> str:
        """The id of a public OAuth client that may ask for `audience` and `scopes`; one per
        combination, registered through the admin API on first use."""
        with self._clients_lock:
            known = self._clients.get((audience, scopes))
            if known is not None:
                return known
            response = httpx.post(
                f"{self._admin}/admin/clients",
                json={
                    "client_name": f"e2e {audience} {' '.join(scopes)}",
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "redirect_uris": [REDIRECT_URI],
                    # Public: no secret; PKCE is what binds the code to this client.
                    "token_endpoint_auth_method": "none",
                    "scope": " ".join(scopes),
                    "audience": [audience],
                },
                timeout=TIMEOUT_SECONDS,
                trust_env=False,
            )
            client_id = str(self._json(response, "POST /admin/clients")["client_id"])
            self._clients[(audience, scopes)] = client_id
            return client_id

    def _follow_to_client(self, browser: httpx.Client, response: httpx.Response, state: str) -> str:
        """Follow the redirects through login and consent until Hydra sends the browser to the
        client's redirect URI; return the code it carries."""
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect:
                raise HarnessError(
                    f"GET {response.url} answered {response.status_code}: "
                    f"{response.text[:1000]} (Hydra's log: {self.log})"
                )
            target = str(response.url.join(response.headers["Location"]))
            if target.split("?", 1)[0] == REDIRECT_URI:
                return self._code(target, state)
            response = browser.get(target)
        raise HarnessError(f"the authorization flow took more than {MAX_REDIRECTS} redirects")

    def _code(self, redirect: str, state: str) -> str:
        query = {key: values[0] for key, values in parse_qs(urlsplit(redirect).query).items()}
        if "error" in query:
            raise HarnessError(
                f"Hydra refused the authorization: {query['error']}: "
                f"{query.get('error_description', '')} (its log: {self.log})"
            )
        if query.get("state") != state or "code" not in query:
            raise HarnessError(f"Hydra redirected to {redirect}: no code for state {state}")
        return query["code"]

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            return _json_object(response, what)
        except HarnessError as error:
            raise HarnessError(f"{error} (Hydra's log: {self.log})") from None


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    if not response.is_success:
        raise HarnessError(f"{what} answered {response.status_code}: {response.text[:1000]}")
    body = response.json()
    if not isinstance(body, dict):
        raise HarnessError(f"{what} answered {body!r}, not an object")
    return body


def _config(tls: TlsFiles, public_port: int, admin_port: int, handler_url: str) -> dict[str, Any]:
    """Hydra's configuration (see spec/config.json in its module)."""
    return {
        # SQLite in memory, gone with the process (needs the `sqlite` build tag, binaries.py).
        "dsn": "memory",
        "serve": {
            "public": {
                "host": LOOPBACK,
                "port": public_port,
                "tls": {
                    "enabled": True,
                    "cert": {"path": str(tls.cert)},
                    "key": {"path": str(tls.key)},
                },
            },
            # Plain HTTP: only the harness talks to it.
            "admin": {"host": LOOPBACK, "port": admin_port, "tls": {"enabled": False}},
        },
        "urls": {
            "self": {"issuer": f"https://{LOOPBACK}:{public_port}"},
            "login": f"{handler_url}/login",
            "consent": f"{handler_url}/consent",
        },
        "secrets": {"system": [secrets.token_urlsafe(32)]},
        "strategies": {"access_token": "jwt"},
        "oauth2": {
            # Consent's session.access_token claims go under `ext` unless listed here.
            "allowed_top_level_claims": ["groups"],
            "mirror_top_level_claims": False,
        },
        # No usage reports to Ory from a test run.
        "sqa": {"opt_out": True},
    }


def _ready(public_url: str, trust: ssl.SSLContext) -> bool:
    """Hydra answers its readiness check over TLS (which proves the certificate too)."""
    try:
        answer = httpx.get(f"{public_url}/health/ready", verify=trust, timeout=2, trust_env=False)
    except httpx.HTTPError:
        return False  # not listening yet
    return answer.status_code == 200


def _discover(public_url: str, trust: ssl.SSLContext) -> str:
    """The issuer of Hydra's discovery document. Its keys are fetched too: Hydra makes its
    signing keys when they are first asked for, and the first asker had better be this one
    than a token request racing a relying party's key fetch."""
    document = _json_object(
        httpx.get(f"{public_url}/.well-known/openid-configuration", verify=trust, trust_env=False),
        "GET /.well-known/openid-configuration",
    )
    _json_object(
        httpx.get(str(document["jwks_uri"]), verify=trust, trust_env=False, timeout=60),
        f"GET {document['jwks_uri']}",
    )
    return str(document["issuer"])


@contextmanager
def identity_provider(layout: CacheLayout) -> Iterator[IdentityProvider]:
    """Run Hydra and its login and consent handler while the body runs (building Hydra first
    when it is missing)."""
    ensure_binaries(layout, [build for build in FULL_STEPS if build.name == "hydra"])
    directory = hydra_dir(layout)
    directory.mkdir(parents=True, exist_ok=True)
    # One log per cache, kept after the run: the last provider's is the one to read.
    log = directory / "hydra.log"
    public_port, admin_port = free_ports(2)
    public_url = f"https://{LOOPBACK}:{public_port}"
    admin_url = f"http://{LOOPBACK}:{admin_port}"
    pending = _Pending()
    with (
        tempfile.TemporaryDirectory(prefix="run-", dir=directory) as run,
        _serving(_LoginConsent(admin_url, pending)) as handler_url,
    ):
        tls = write_tls_files(Path(run))
        config = Path(run) / "hydra.json"
        config.write_text(json.dumps(_config(tls, public_port, admin_port, handler_url)))
        trust = ssl.create_default_context(cafile=str(tls.ca))
        argv = [str(layout.binary("hydra")), "serve", "all", "--config", str(config)]
        # Hydra reads any setting from the environment too (DSN, URLS_SELF_ISSUER, ...), over
        # its configuration file: a developer's shell must not change the provider.
        environment = {"PATH": os.environ.get("PATH", os.defpath)}
        with running(
            "hydra",
            argv,
            log,
            partial(_ready, public_url, trust),
            env=environment,
            seconds=STARTUP_SECONDS,
            announce=f"starting hydra on {public_url}",
        ):
            issuer = _discover(public_url, trust)
            yield IdentityProvider(issuer, public_url, admin_url, tls, log, pending)
