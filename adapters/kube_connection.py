"""Which API server a context names and how to prove who we are to it: a kubeconfig context
read as kubectl reads it, or the pod's service account.

This is our own code rather than kubernetes-asyncio's loader: that loader imports the
library's whole generated client (every API and model class, about 0.25 s and 36 MB), to read
a YAML file and build an SSL context.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import ssl
import tempfile
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from adapters.exec_credentials import ExecCredentials, ExecSpec, Issued

_SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeconfigError(Exception):
    """Why a context cannot be used, as a sentence that names what is wrong."""


def kubeconfig_files(kubeconfig: str | None) -> list[Path]:
    """The files kubectl would read: the given list, else KUBECONFIG, else ~/.kube/config."""
    value = kubeconfig or os.environ.get("KUBECONFIG")
    if not value:
        return [Path.home() / ".kube" / "config"]
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p]


@dataclass
class TokenFile:
    """A bearer token kept in a file that is rotated underneath us (a projected service
    account token): read again after a minute, as client-go does."""

    path: Path
    REREAD = 60.0  # seconds
    _token: str = field(default="", init=False)
    _read_at: float = field(default=-REREAD, init=False)

    def token(self) -> str:
        if time.monotonic() - self._read_at >= self.REREAD:
            try:
                self._token = self.path.read_text().strip()
            except OSError as exc:
                raise KubeconfigError(f"its token file {self.path} cannot be read: {exc}") from None
            self._read_at = time.monotonic()
        return self._token


@dataclass(frozen=True)
class Credential:
    """What one request sends to say who it is: an Authorization header and a client
    certificate, either or both."""

    authorization: str | None
    certificate: tuple[bytes, bytes] | None  # PEM certificate and key
    issued: Issued | None = None  # from an exec plugin: what to hand back when refused


@dataclass
class Connection:
    """One API server and the user to be there."""

    server: str
    context: str | None  # the kubeconfig context's name; None in a pod
    ca: bytes | None = None  # PEM; None: the system's roots
    insecure: bool = False
    tls_server_name: str | None = None
    proxy: str | None = None
    proxy_headers: Mapping[str, str] | None = None
    token: str | None = None
    token_file: TokenFile | None = None
    basic: tuple[str, str] | None = None
    certificate: tuple[bytes, bytes] | None = None
    exec_plugin: ExecCredentials | None = None
    # SSL contexts by client certificate (None: none); building one reads certificates.
    _ssl: dict[tuple[bytes, bytes] | None, ssl.SSLContext] = field(default_factory=dict)

    async def credential(self) -> Credential:
        """The credential for the next request (an exec plugin runs when it has none, or
        an expired one)."""
        if self.exec_plugin is not None:
            return self._from_plugin(await self.exec_plugin.current())
        return Credential(self._authorization(), self.certificate)

    async def refreshed(self, refused: Credential) -> Credential | None:
        """A new credential after `refused` was refused (401), or None when nothing would
        change: only an exec plugin's credentials can be fetched again."""
        if self.exec_plugin is None or refused.issued is None:
            return None
        return self._from_plugin(await self.exec_plugin.refresh(refused.issued))

    def _from_plugin(self, issued: Issued) -> Credential:
        certificate = (
            (issued.certificate, issued.key)
            if issued.certificate is not None and issued.key is not None
            else self.certificate
        )
        token = f"Bearer {issued.token}" if issued.token else self._authorization()
        return Credential(token, certificate, issued)

    def _authorization(self) -> str | None:
        if self.token:
            return f"Bearer {self.token}"
        if self.token_file is not None:
            return f"Bearer {self.token_file.token()}"
        if self.basic is not None:
            pair = ":".join(self.basic).encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None

    def ssl_context(self, certificate: tuple[bytes, bytes] | None) -> ssl.SSLContext | None:
        """The TLS settings for a request sent with `certificate`; None over plain HTTP."""
        if not self.server.startswith("https:"):
            return None
        context = self._ssl.get(certificate)
        if context is None:
            if len(self._ssl) >= 4:
                # An exec plugin's certificates replace each other: keep no old ones.
                self._ssl = {key: value for key, value in self._ssl.items() if key is None}
            context = self._ssl[certificate] = self._new_ssl(certificate)
        return context

    def _new_ssl(self, certificate: tuple[bytes, bytes] | None) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(
                cadata=self.ca.decode(errors="replace") if self.ca is not None else None
            )
        except ssl.SSLError as exc:
            raise KubeconfigError(f"its cluster's CA certificate cannot be used: {exc}") from None
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if certificate is not None:
            _load_client_certificate(context, *certificate)
        return context


def _load_client_certificate(context: ssl.SSLContext, certificate: bytes, key: bytes) -> None:
    # The ssl module loads a certificate chain from files only: a private directory, removed
    # as soon as it is read.
    with tempfile.TemporaryDirectory(prefix="kube-ai-proxy-") as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        for path, data in ((cert_path, certificate), (key_path, key)):
            path.touch(mode=0o600)
            path.write_bytes(data)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise KubeconfigError(f"its client certificate or key cannot be used: {exc}") from None


@dataclass
class _Entry:
    value: dict[str, Any]
    directory: Path  # of the file that names it: its relative paths are relative to it


class _Merged:
    """Several kubeconfig files as one: for each named cluster, user and context, and for
    current-context, the first file that sets it wins."""

    def __init__(self, files: list[Path]) -> None:
        self.current: str | None = None
        self.sections: dict[str, dict[str, _Entry]] = {"clusters": {}, "users": {}, "contexts": {}}
        for path in files:
            document = _read(path)
            self.current = self.current or document.get("current-context") or None
            for section, entries in self.sections.items():
                for item in document.get(section) or ():
                    name = item.get("name") if isinstance(item, dict) else None
                    inner = item.get(section[:-1]) if isinstance(item, dict) else None
                    if isinstance(name, str) and name not in entries:
                        entries[name] = _Entry(
                            inner if isinstance(inner, dict) else {}, path.parent
                        )

    def entry(self, section: str, name: str, wanted_by: str) -> _Entry:
        found = self.sections[section].get(name)
        if found is None:
            raise KubeconfigError(
                f"{wanted_by} names {section[:-1]} {name!r}, which it does not have"
            )
        return found


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise KubeconfigError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise KubeconfigError(f"{path} is not YAML: {' '.join(str(exc).split())}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise KubeconfigError(f"{path} is not a kubeconfig (its top level is not a mapping)")
    return document


def from_kubeconfig(kubeconfig: str | None, context: str | None) -> Connection:
    """The connection `context` (default: current-context) of the kubeconfig describes."""
    files = [path for path in kubeconfig_files(kubeconfig) if path.exists()]
    if not files:
        raise KubeconfigError("there is no kubeconfig file")
    merged = _Merged(files)
    name = context or merged.current
    if not name:
        raise KubeconfigError("it sets no current-context, and no context was named")
    found = merged.sections["contexts"].get(name)
    if found is None:
        raise KubeconfigError(f"it has no context {name!r}")
    wanted = found.value
    cluster = merged.entry("clusters", str(wanted.get("cluster")), f"context {name!r}")
    user_name = wanted.get("user")
    user = merged.entry("users", str(user_name), f"context {name!r}") if user_name else None
    connection = _cluster(cluster, name)
    if user is not None:
        _user(connection, user, cluster.value, f"user {user_name!r}")
    # Now, so that a CA or client certificate that cannot be used is said where the
    # kubeconfig is, not by some later request.
    connection.ssl_context(connection.certificate)
    return connection


def _cluster(entry: _Entry, context: str) -> Connection:
    cluster = entry.value
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise KubeconfigError(f"the cluster of context {context!r} has no server")
    proxy, proxy_headers = _proxy(cluster.get("proxy-url"), server)
    return Connection(
        server=server.rstrip("/"),
        context=context,
        ca=_file_or_data(entry, cluster, "certificate-authority", "the cluster's CA"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name") or None,
        proxy=proxy,
        proxy_headers=proxy_headers,
    )


def _user(connection: Connection, entry: _Entry, cluster: Mapping[str, Any], what: str) -> None:
    user = entry.value
    if user.get("token"):
        connection.token = str(user["token"])
    elif user.get("tokenFile"):
        connection.token_file = TokenFile(_path(entry, str(user["tokenFile"])))
    elif user.get("username"):
        connection.basic = (str(user["username"]), str(user.get("password") or ""))
    certificate = _file_or_data(entry, user, "client-certificate", f"{what}'s certificate")
    key = _file_or_data(entry, user, "client-key", f"{what}'s key")
    if (certificate is None) != (key is None):
        raise KubeconfigError(f"{what} has a client certificate or a key, not both")
    if certificate is not None and key is not None:
        connection.certificate = (certificate, key)
    if user.get("exec"):
        stanza = dict(user["exec"])
        command = str(stanza.get("command") or "")
        if os.sep in command and not os.path.isabs(command):
            stanza["command"] = str(entry.directory / command)  # as client-go resolves it
        try:
            spec = ExecSpec.parse(stanza, _cluster_info(connection, cluster))
        except ValueError as exc:
            raise KubeconfigError(f"{what}: {exc}") from None
        connection.exec_plugin = ExecCredentials(spec)
    provider = user.get("auth-provider")
    if provider and not (connection.token or connection.exec_plugin):
        # The legacy providers (oidc, gcp, azure) keep the last token they were given in the
        # kubeconfig; it is used as it is, and refreshing it is the provider's CLI's job.
        config = provider.get("config") or {}
        token = config.get("id-token") or config.get("access-token")
        if not token:
            raise KubeconfigError(
                f"{what} uses the {provider.get('name')!r} auth-provider and holds no token "
                "from it: run kubectl once with this context to let it log in, or use an "
                "exec credential plugin (kubelogin for OIDC)"
            )
        connection.token = str(token)


def _cluster_info(connection: Connection, cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The cluster as an exec plugin asked for it (provideClusterInfo)."""
    info: dict[str, Any] = {"server": connection.server}
    if connection.tls_server_name:
        info["tls-server-name"] = connection.tls_server_name
    if connection.insecure:
        info["insecure-skip-tls-verify"] = True
    if connection.ca is not None:
        info["certificate-authority-data"] = base64.b64encode(connection.ca).decode()
    if connection.proxy:
        info["proxy-url"] = cluster.get("proxy-url")
    extension = next(
        (
            e.get("extension")
            for e in cluster.get("extensions") or ()
            if isinstance(e, dict) and e.get("name") == "client.authentication.k8s.io/exec"
        ),
        None,
    )
    if extension is not None:
        info["config"] = extension
    return info


def _path(entry: _Entry, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else entry.directory / path


def _file_or_data(entry: _Entry, section: Mapping[str, Any], key: str, what: str) -> bytes | None:
    """`KEY-data` (base64) or the file `KEY` names."""
    data = section.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=True)
        except binascii.Error:
            raise KubeconfigError(f"{what} ({key}-data) is not base64") from None
    if section.get(key):
        path = _path(entry, str(section[key]))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise KubeconfigError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    return None


def _proxy(proxy_url: str | None, server: str) -> tuple[str | None, Mapping[str, str] | None]:
    """The proxy for `server` (the cluster's proxy-url, else HTTPS_PROXY or HTTP_PROXY unless
    NO_PROXY names the host; looked up once), and its Proxy-Authorization when the proxy's
    URL carries credentials."""
    if not proxy_url:
        split = urllib.parse.urlsplit(server)
        if _bypassed(split.hostname or "", _env("NO_PROXY")):
            return None, None
        proxy_url = _env("HTTPS_PROXY" if split.scheme == "https" else "HTTP_PROXY")
        if not proxy_url:
            return None, None
    proxy = urllib.parse.urlsplit(proxy_url)
    if proxy.username is None:
        return proxy_url, None
    pair = f"{urllib.parse.unquote(proxy.username)}:{urllib.parse.unquote(proxy.password or '')}"
    bare = proxy._replace(netloc=proxy.netloc.rpartition("@")[2]).geturl()
    return bare, {"Proxy-Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _env(name: str) -> str:
    return os.environ.get(name) or os.environ.get(name.lower()) or ""


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY names `host`, as Go's net/http reads it: `*`, a domain and its
    subdomains (`example.com`, `.example.com`), an IP address or a CIDR range; a port in an
    entry is ignored."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry and address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry.strip("[]")
        domain = name.lstrip(".")
        if host.lower() == domain or host.lower().endswith("." + domain):
            return True
    return False


def in_cluster() -> Connection:
    """The API server of the pod the server runs in, as its service account."""
    host, port = (
        os.environ.get("KUBERNETES_SERVICE_HOST"),
        os.environ.get("KUBERNETES_SERVICE_PORT"),
    )
    token = _SERVICE_ACCOUNT / "token"
    if not host or not port or not token.exists():
        raise KubeconfigError("this is not a pod with a service account")
    if ":" in host:
        host = f"[{host}]"  # IPv6
    try:
        ca = (_SERVICE_ACCOUNT / "ca.crt").read_bytes()
    except OSError as exc:
        raise KubeconfigError(f"the service account's CA cannot be read: {exc}") from None
    server = f"https://{host}:{port}"
    proxy, proxy_headers = _proxy(None, server)
    return Connection(
        server=server,
        context=None,
        ca=ca,
        token_file=TokenFile(token),
        proxy=proxy,
        proxy_headers=proxy_headers,
    )
