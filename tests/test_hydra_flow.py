"""The parts of the e2e identity provider (e2e/harness/hydra.py) that need no Hydra: the PKCE
challenge, the TLS files, and the login and consent handler against a stand-in for Hydra's
admin API. Hydra itself is run by e2e/test_identity_provider.py."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from e2e.harness.errors import HarnessError
from e2e.harness.hydra import (
    _Grant,
    _LoginConsent,
    _Pending,
    _serving,
    pkce_challenge,
)
from e2e.harness.tls import write_tls_files

NEXT = "https://127.0.0.1:1/oauth2/auth?verifier=next"


def test_the_pkce_challenge_is_rfc_7636s() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_server_certificate_is_trusted_through_the_ca_file(tmp_path: Path) -> None:
    files = write_tls_files(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files.cert, files.key)
    client = ssl.create_default_context(cafile=str(files.ca))
    # What newer Pythons check by default: key identifiers, key usage, a critical CA flag.
    client.verify_flags |= ssl.VERIFY_X509_STRICT
    near, far = socket.socketpair()
    with near, far:
        accepting = threading.Thread(
            target=lambda: server.wrap_socket(far, server_side=True).close(), daemon=True
        )
        accepting.start()
        with client.wrap_socket(near, server_hostname="127.0.0.1") as connected:
            assert connected.getpeercert() is not None
        accepting.join(timeout=10)
    assert files.key.stat().st_mode & 0o077 == 0


class _Admin(BaseHTTPRequestHandler):
    """Hydra's admin API for one login and one consent request of the flow with `state`."""

    server: _AdminServer

    def do_GET(self) -> None:
        request = {
            "request_url": f"https://127.0.0.1:1/oauth2/auth?client_id=c&state={self.server.state}",
            "requested_scope": ["openid", "mcp"],
            "requested_access_token_audience": ["kube-ai-proxy"],
        }
        self._reply(request)

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        url = urlsplit(self.path)
        self.server.accepted[url.path] = json.loads(self.rfile.read(length))
        self.server.challenges.append(parse_qs(url.query))
        self._reply({"redirect_to": NEXT})

    def _reply(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _AdminServer(ThreadingHTTPServer):
    def __init__(self, state: str) -> None:
        super().__init__(("127.0.0.1", 0), _Admin)
        self.state = state
        self.accepted: dict[str, Any] = {}
        self.challenges: list[dict[str, list[str]]] = []


@contextmanager
def _admin(state: str) -> Iterator[_AdminServer]:
    with _AdminServer(state) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            thread.join()


def test_the_handler_logs_in_the_user_asked_for_and_grants_their_groups() -> None:
    pending = _Pending()
    with pending.expecting(_Grant("alice", ("team-a",))) as state, _admin(state) as admin:
        app = _LoginConsent(f"http://127.0.0.1:{admin.server_port}", pending)
        with _serving(app) as handler:
            login = httpx.get(f"{handler}/login?login_challenge=L1", trust_env=False)
            consent = httpx.get(f"{handler}/consent?consent_challenge=C1", trust_env=False)

    assert (login.status_code, login.headers["Location"]) == (302, NEXT)
    assert (consent.status_code, consent.headers["Location"]) == (302, NEXT)
    assert admin.accepted == {
        "/admin/oauth2/auth/requests/login/accept": {"subject": "alice"},
        "/admin/oauth2/auth/requests/consent/accept": {
            "grant_scope": ["openid", "mcp"],
            "grant_access_token_audience": ["kube-ai-proxy"],
            "session": {"access_token": {"groups": ["team-a"]}},
        },
    }
    assert admin.challenges == [{"login_challenge": ["L1"]}, {"consent_challenge": ["C1"]}]


def test_a_flow_nobody_asked_for_is_refused() -> None:
    pending = _Pending()
    with _admin("unknown") as admin:
        app = _LoginConsent(f"http://127.0.0.1:{admin.server_port}", pending)
        with _serving(app) as handler:
            login = httpx.get(f"{handler}/login?login_challenge=L1", trust_env=False)

    assert login.status_code == 500
    assert "no token was asked for" in login.text
    assert admin.accepted == {}


def test_a_state_stands_for_its_grant_only_while_the_flow_runs() -> None:
    pending = _Pending()
    with pending.expecting(_Grant("bob", ())) as state:
        assert pending.grant(f"https://idp/oauth2/auth?state={state}") == _Grant("bob", ())
    with pytest.raises(HarnessError, match="no token was asked for"):
        pending.grant(f"https://idp/oauth2/auth?state={state}")
