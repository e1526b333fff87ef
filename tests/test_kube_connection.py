"""Reading kubeconfigs as kubectl does, and running exec credential plugins as client-go does.

The requests themselves (TLS with client certificates, tokens against a real API server) are
the e2e suite's; tests/test_kube_faults.py sends requests through a client built from here."""

from __future__ import annotations

import base64
import datetime
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import BackendError
from adapters.kube_connection import (
    Connection,
    KubeconfigError,
    TokenFile,
    from_kubeconfig,
    in_cluster,
)


def _certificate(name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate and its key, PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


CA, _ = _certificate("ca")
CLIENT, CLIENT_KEY = _certificate("client")


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _config(
    clusters: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    contexts: dict[str, tuple[str, str]],
    current: str | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [
            {"name": n, "context": {"cluster": c, "user": u}} for n, (c, u) in contexts.items()
        ],
    }
    if current:
        document["current-context"] = current
    return document


def _write(path: Path, document: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return str(path)


def _one(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Connection:
    path = _write(
        tmp_path / "config", _config({"c": cluster}, {"u": user}, {"ctx": ("c", "u")}, "ctx")
    )
    return from_kubeconfig(path, None)


async def _authorization(connection: Connection) -> str | None:
    return (await connection.credential()).authorization


async def test_the_first_file_that_names_an_entry_wins_and_paths_are_its_own(
    tmp_path: Path,
) -> None:
    (tmp_path / "a" / "ca.crt").parent.mkdir()
    (tmp_path / "a" / "ca.crt").write_bytes(CA)
    first = _write(
        tmp_path / "a" / "config",
        _config(
            {"shared": {"server": "https://first:6443/", "certificate-authority": "ca.crt"}},
            {"shared": {"token": "first-token"}},
            {"one": ("shared", "shared")},
            current="one",
        ),
    )
    second = _write(
        tmp_path / "b" / "config",
        _config(
            {"shared": {"server": "https://second:6443"}, "own": {"server": "https://own:6443"}},
            {"shared": {"token": "second-token"}, "own": {"token": "own-token"}},
            {"one": ("own", "own"), "two": ("own", "shared")},
            current="two",
        ),
    )
    files = os.pathsep.join([first, str(tmp_path / "missing"), second])
    current = from_kubeconfig(files, None)
    assert (current.context, current.server, current.ca) == ("one", "https://first:6443", CA)
    assert await _authorization(current) == "Bearer first-token"
    two = from_kubeconfig(files, "two")
    assert (two.server, await _authorization(two)) == ("https://own:6443", "Bearer first-token")


@pytest.mark.parametrize(
    ("document", "context", "says"),
    [
        ({"clusters": []}, None, "sets no current-context"),
        (_config({}, {}, {}, "gone"), None, "has no context 'gone'"),
        (_config({}, {}, {"x": ("nowhere", "u")}, "x"), None, "names cluster 'nowhere'"),
        (_config({"c": {}}, {}, {"x": ("c", "u")}, "x"), None, "names user 'u'"),
        (_config({"c": {}}, {"u": {}}, {"x": ("c", "u")}, "x"), None, "has no server"),
        (_config({"c": {"server": "https://h"}}, {}, {}, None), "other", "no context 'other'"),
    ],
)
def test_what_is_missing_is_named(
    tmp_path: Path, document: dict[str, Any], context: str | None, says: str
) -> None:
    path = _write(tmp_path / "config", document)
    with pytest.raises(KubeconfigError, match=says):
        from_kubeconfig(path, context)


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    with pytest.raises(KubeconfigError, match=f"{broken} is not YAML"):
        from_kubeconfig(str(broken), None)
    broken.write_text("- a list\n")
    with pytest.raises(KubeconfigError, match="is not a kubeconfig"):
        from_kubeconfig(str(broken), None)
    with pytest.raises(KubeconfigError, match="there is no kubeconfig file"):
        from_kubeconfig(str(tmp_path / "absent"), None)


async def test_credentials_from_data_files_and_the_legacy_providers(tmp_path: Path) -> None:
    data = _one(
        tmp_path,
        {"server": "https://h", "certificate-authority-data": base64.b64encode(CA).decode()},
        {"username": "admin", "password": "s3cret"},
    )
    assert data.ca == CA
    assert await _authorization(data) == "Basic " + base64.b64encode(b"admin:s3cret").decode()
    oidc = _one(
        tmp_path,
        {"server": "https://h"},
        {"auth-provider": {"name": "oidc", "config": {"id-token": "id.jwt"}}},
    )
    assert await _authorization(oidc) == "Bearer id.jwt"
    with pytest.raises(KubeconfigError, match="kubelogin"):
        _one(tmp_path, {"server": "https://h"}, {"auth-provider": {"name": "gcp"}})
    with pytest.raises(KubeconfigError, match="CA certificate cannot be used"):
        _one(tmp_path, {"server": "https://h", "certificate-authority-data": "QUJD"}, {})
    (tmp_path / "client.crt").write_bytes(CLIENT)
    (tmp_path / "client.key").write_bytes(CLIENT_KEY)
    files = {"client-certificate": "client.crt", "client-key": "client.key"}
    with_certificate = _one(tmp_path, {"server": "https://h"}, files)
    assert with_certificate.certificate == (CLIENT, CLIENT_KEY)
    (tmp_path / "client.key").write_bytes(_certificate("other")[1])
    with pytest.raises(KubeconfigError, match="client certificate or key cannot be used"):
        _one(tmp_path, {"server": "https://h"}, files)
    with pytest.raises(KubeconfigError, match="is not base64"):
        _one(tmp_path, {"server": "https://h", "certificate-authority-data": "%%%"}, {})
    with pytest.raises(KubeconfigError, match="not both"):
        _one(tmp_path, {"server": "https://h"}, {"client-certificate-data": "QQ=="})
    with pytest.raises(KubeconfigError, match=r"missing\.crt cannot be read"):
        _one(tmp_path, {"server": "https://h", "certificate-authority": "missing.crt"}, {})


async def test_a_token_file_is_read_again_after_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    connection = _one(tmp_path, {"server": "https://h"}, {"tokenFile": "token"})
    assert await _authorization(connection) == "Bearer one"
    token.write_text("two\n")
    assert await _authorization(connection) == "Bearer one"  # within the minute
    assert connection.token_file is not None
    monkeypatch.setattr(TokenFile, "REREAD", 0.0)
    assert await _authorization(connection) == "Bearer two"


def test_the_proxy_comes_from_the_cluster_or_the_environment_unless_no_proxy_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _one(tmp_path, {"server": "https://10.0.0.1:6443"}, {}).proxy is None
    monkeypatch.setenv("HTTPS_PROXY", "http://user:se%40cret@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example, 192.168.0.0/16,[::1]")
    through = _one(tmp_path, {"server": "https://10.0.0.1:6443"}, {})
    assert through.proxy == "http://proxy.example:3128"
    pair = base64.b64encode(b"user:se@cret").decode()
    assert through.proxy_headers == {"Proxy-Authorization": f"Basic {pair}"}
    for server in ("https://api.bypassed.example", "https://192.168.4.4:6443", "https://[::1]"):
        assert _one(tmp_path, {"server": server}, {}).proxy is None, server
    # The cluster's own proxy-url wins, NO_PROXY or not.
    named = _one(tmp_path, {"server": "https://192.168.4.4", "proxy-url": "socks5://p:1080"}, {})
    assert (named.proxy, named.proxy_headers) == ("socks5://p:1080", None)
    monkeypatch.setenv("NO_PROXY", "*")
    assert _one(tmp_path, {"server": "https://10.0.0.1:6443"}, {}).proxy is None


def test_in_cluster_needs_the_service_account_and_the_service_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeconfigError, match="not a pod"):
        in_cluster()


def _plugin(tmp_path: Path, body: str, **stanza: Any) -> dict[str, Any]:
    script = tmp_path / "plugin"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "./plugin",  # relative to the kubeconfig's directory, as client-go does
            "interactiveMode": "Never",
            **stanza,
        }
    }


async def test_an_exec_plugin_gets_no_stdin_its_env_and_the_cluster_when_asked(
    tmp_path: Path,
) -> None:
    seen, stdin, env = tmp_path / "seen", tmp_path / "stdin", tmp_path / "env"
    user = _plugin(
        tmp_path,
        # Reading stdin must end at once (EOF): the server's stdin is the MCP stream.
        f'cat > {stdin}; echo "$GREETING" > {env}; echo "$KUBERNETES_EXEC_INFO" > {seen}\n'
        'echo \'{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",'
        '"status":{"token":"t"}}\'\n',
        env=[{"name": "GREETING", "value": "hello"}],
        args=["--flag"],
        provideClusterInfo=True,
    )
    cluster = {
        "server": "https://h:6443",
        "certificate-authority-data": base64.b64encode(CA).decode(),
        "extensions": [{"name": "client.authentication.k8s.io/exec", "extension": {"k": "v"}}],
    }
    connection = _one(tmp_path, cluster, user)
    assert await _authorization(connection) == "Bearer t"
    assert stdin.read_text() == ""
    assert env.read_text() == "hello\n"
    info = json.loads(seen.read_text())
    assert info["kind"] == "ExecCredential" and info["spec"]["interactive"] is False
    assert info["spec"]["cluster"] == {
        "server": "https://h:6443",
        "certificate-authority-data": base64.b64encode(CA).decode(),
        "config": {"k": "v"},
    }


async def test_an_exec_plugin_may_give_a_client_certificate(tmp_path: Path) -> None:
    answer = {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1",
        "status": {"clientCertificateData": "CERT", "clientKeyData": "KEY"},
    }
    user = _plugin(tmp_path, f"echo '{json.dumps(answer)}'\n")
    credential = await _one(tmp_path, {"server": "https://h"}, user).credential()
    assert credential.certificate == (b"CERT", b"KEY") and credential.authorization is None


@pytest.mark.parametrize(
    ("body", "stanza", "says"),
    [
        ("echo 'login expired' >&2; exit 3\n", {}, "exited with 3: login expired"),
        ("echo not json\n", {}, "not an ExecCredential"),
        ('echo \'{"kind":"ExecCredential","status":{}}\'\n', {}, "neither a token"),
        ("exit 0\n", {"interactiveMode": "Always"}, "needs a terminal"),
        (
            "exit 0\n",
            {"command": "no-such-plugin", "installHint": "Install it with brew."},
            "no-such-plugin cannot be run .*Install it with brew.",
        ),
    ],
)
async def test_an_exec_plugin_that_fails_says_how(
    tmp_path: Path, body: str, stanza: dict[str, Any], says: str
) -> None:
    connection = _one(tmp_path, {"server": "https://h"}, _plugin(tmp_path, body, **stanza))
    with pytest.raises(BackendError, match=says) as raised:
        await connection.credential()
    assert raised.value.code == "unavailable"
    assert "exec credential plugin failed" in raised.value.message


def test_an_exec_plugin_of_an_unknown_api_version_is_refused(tmp_path: Path) -> None:
    user = _plugin(tmp_path, "exit 0\n", apiVersion="client.authentication.k8s.io/v1alpha1")
    with pytest.raises(KubeconfigError, match="v1alpha1"):
        _one(tmp_path, {"server": "https://h"}, user)


def test_tls_settings_are_kept_for_the_few_latest_client_certificates(tmp_path: Path) -> None:
    """An exec plugin may hand out a new client certificate at each run: the TLS settings
    made for the old ones are not kept for as long as the server runs."""
    connection = _one(tmp_path, {"server": "https://h"}, {})
    pairs = [_certificate(f"client-{n}") for n in range(6)]
    made = [connection.ssl_context(pair) for pair in pairs]
    assert all(context is not None for context in made)
    assert connection.ssl_context(pairs[-1]) is made[-1]  # the latest is kept
    assert len(connection._ssl) <= 4
    assert connection.ssl_context(None) is connection.ssl_context(None)
    assert _one(tmp_path, {"server": "http://h"}, {}).ssl_context(None) is None
