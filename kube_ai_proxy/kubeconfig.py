"""Which context and namespace a command without -n/--context would use.

The policy checks the namespace a command touches even when the command names none, so it needs
what kubectl would fall back to: the kubeconfig's current context and that context's namespace
(or `default`). Inside a pod without a kubeconfig, the service account's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from adapters.kube_connection import kubeconfig_files

_SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class KubeDefaults:
    context: str | None
    namespace: str


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


class KubeconfigReader:
    """Reads the defaults once per change of the files (by modification time)."""

    def __init__(self, kubeconfig: str | None) -> None:
        self._files = kubeconfig_files(kubeconfig)
        self._stamp: tuple[float, ...] | None = None
        self._docs: list[dict[str, Any]] = []

    def _documents(self) -> list[dict[str, Any]]:
        stamp = tuple(p.stat().st_mtime if p.exists() else -1.0 for p in self._files)
        if stamp != self._stamp:
            self._docs = [_load(p) for p in self._files if p.exists()]
            self._stamp = stamp
        return self._docs

    def defaults(self, context: str | None = None) -> KubeDefaults:
        """The context in effect (the one given, else current-context) and its namespace."""
        docs = self._documents()
        if not docs and _SERVICE_ACCOUNT_NAMESPACE.exists():
            return KubeDefaults(None, _SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default")
        # As kubectl merges several files: the first file that sets a value wins.
        name = context or next(
            (d["current-context"] for d in docs if d.get("current-context")), None
        )
        namespace = "default"
        for doc in docs:
            for entry in doc.get("contexts") or []:
                if isinstance(entry, dict) and entry.get("name") == name:
                    namespace = (entry.get("context") or {}).get("namespace") or "default"
                    return KubeDefaults(name, namespace)
        return KubeDefaults(name, namespace)

    def contexts(self) -> list[dict[str, str | bool]]:
        """The contexts a command may name: name, cluster, namespace, current. No user and no
        credentials: those never leave the server."""
        docs = self._documents()
        current = next((d["current-context"] for d in docs if d.get("current-context")), None)
        seen: dict[str, dict[str, str | bool]] = {}
        for doc in docs:
            for entry in doc.get("contexts") or []:
                if not isinstance(entry, dict) or entry.get("name") in seen:
                    continue
                context = entry.get("context") or {}
                seen[str(entry.get("name"))] = {
                    "name": str(entry.get("name")),
                    "cluster": str(context.get("cluster", "")),
                    "namespace": str(context.get("namespace") or "default"),
                    "current": entry.get("name") == current,
                }
        return list(seen.values())
