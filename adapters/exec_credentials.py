"""A kubeconfig user's exec credential plugin (cloud logins, OIDC helpers), run as client-go
runs it: again when its token has expired, and when the API server refuses it (401)."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.errors import BackendError

# What to do about credentials the API server refused (401).
REFRESH_CREDENTIALS = (
    "Refresh them: log in again with the tool that wrote the kubeconfig's user, or replace its "
    "token (an exec credential plugin is run again by itself), then retry."
)

_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


@dataclass(frozen=True)
class ExecSpec:
    """The `exec` stanza of a kubeconfig user."""

    command: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    api_version: str
    install_hint: str | None = None
    interactive_mode: str | None = None
    # The cluster as KUBERNETES_EXEC_INFO shows it, when the stanza asks for it.
    cluster: Mapping[str, Any] | None = None

    @classmethod
    def parse(cls, stanza: Mapping[str, Any], cluster: Mapping[str, Any]) -> ExecSpec:
        """The stanza as given; ValueError says what is wrong with it."""
        command = stanza.get("command")
        if not isinstance(command, str) or not command:
            raise ValueError("its exec plugin names no command")
        api_version = stanza.get("apiVersion")
        if api_version not in _API_VERSIONS:
            raise ValueError(
                f"its exec plugin's apiVersion {api_version!r} is not one of "
                + ", ".join(_API_VERSIONS)
            )
        env = {str(e.get("name")): str(e.get("value", "")) for e in stanza.get("env") or ()}
        return cls(
            command=command,
            args=tuple(str(a) for a in stanza.get("args") or ()),
            env=env,
            api_version=api_version,
            install_hint=stanza.get("installHint"),
            interactive_mode=stanza.get("interactiveMode"),
            cluster=cluster if stanza.get("provideClusterInfo") else None,
        )


@dataclass(frozen=True)
class Issued:
    """What one run of the plugin gave: a token, or a client certificate, or both."""

    token: str | None
    expiry: datetime.datetime | None
    certificate: bytes | None = None
    key: bytes | None = None


class ExecCredentials:
    """The plugin's current credentials, fetched on first use and again when they expire (as
    their expirationTimestamp says, less a small skew) or are refused."""

    SKEW = datetime.timedelta(seconds=10)

    def __init__(self, spec: ExecSpec) -> None:
        self.spec = spec
        self._issued: Issued | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> Issued:
        issued = self._issued
        if issued is None or self._expired(issued):
            async with self._lock:
                if self._issued is issued:  # not fetched by another call meanwhile
                    self._issued = await self._run()
                issued = self._issued
        assert issued is not None
        return issued

    async def refresh(self, refused: Issued) -> Issued:
        """New credentials after `refused` was refused; one run for all calls refused at
        once."""
        async with self._lock:
            if self._issued is refused or self._issued is None:
                self._issued = await self._run()
            return self._issued

    def _expired(self, issued: Issued) -> bool:
        return issued.expiry is not None and (
            issued.expiry - self.SKEW < datetime.datetime.now(datetime.UTC)
        )

    async def _run(self) -> Issued:
        spec = self.spec
        if spec.interactive_mode == "Always":
            raise self._failed(
                "it needs a terminal (interactiveMode: Always), and this server has none"
            )
        info: dict[str, Any] = {"interactive": False}
        if spec.cluster is not None:
            info["cluster"] = spec.cluster
        env = {
            **os.environ,
            **spec.env,
            "KUBERNETES_EXEC_INFO": json.dumps(
                {"apiVersion": spec.api_version, "kind": "ExecCredential", "spec": info}
            ),
        }
        try:
            process = await asyncio.create_subprocess_exec(
                spec.command,
                *spec.args,
                env=env,
                # Never the server's stdin: over stdio that is the MCP client's stream.
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            hint = f" {spec.install_hint.strip()}" if spec.install_hint else ""
            raise self._failed(
                f"{spec.command} cannot be run ({exc.strerror or exc}).{hint}"
            ) from None
        try:
            out, err = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if process.returncode != 0:
            said = " ".join(err.decode(errors="replace").split())[-500:]
            raise self._failed(f"{spec.command} exited with {process.returncode}: {said}")
        return self._issued_from(out)

    def _issued_from(self, out: bytes) -> Issued:
        try:
            answer = json.loads(out)
            status = answer["status"]
            if answer.get("kind") != "ExecCredential" or not isinstance(status, dict):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise self._failed("its output is not an ExecCredential (JSON)") from None
        expiry = None
        if status.get("expirationTimestamp"):
            stamp = str(status["expirationTimestamp"]).replace("Z", "+00:00")
            try:
                expiry = datetime.datetime.fromisoformat(stamp)
            except ValueError:
                raise self._failed(f"its expirationTimestamp {stamp!r} is not a time") from None
            if expiry.tzinfo is None:
                expiry = expiry.replace(tzinfo=datetime.UTC)
        certificate, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if not status.get("token") and not (certificate and key):
            raise self._failed("its ExecCredential has neither a token nor a client certificate")
        return Issued(
            token=status.get("token") or None,
            expiry=expiry,
            certificate=certificate.encode() if certificate else None,
            key=key.encode() if key else None,
        )

    def _failed(self, why: str) -> BackendError:
        return BackendError("unavailable", f"the kubeconfig's exec credential plugin failed: {why}")
