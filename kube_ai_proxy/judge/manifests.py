"""The objects a command's manifests hold, for the policy (namespaces, cluster scope) and the
RBAC pre-flight (the requests an apply makes): YAML or JSON from `stdin` (`-f -`) or from the
files and directories `-f` names.

Only paths that invariants.py let through are read here: a command reaches the policy after its
`-f` values were checked to resolve under K8S_MCP_ALLOWED_PATHS, so this module does not check
them again, and it never writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from kube_ai_proxy.errors import invalid


def manifest_documents(text: str) -> Iterator[dict[str, Any]]:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise invalid(f"the manifest is not valid YAML or JSON: {exc}") from None
    except RecursionError:
        # PyYAML composes nodes recursively: `[[[[...` thousands deep would otherwise crash the
        # call instead of answering it.
        raise invalid("the manifest is nested too deeply to be checked") from None
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            yield from (item for item in doc["items"] if isinstance(item, dict))
        else:
            yield doc


def manifest_files(paths: Iterable[str], recursive: bool) -> Iterator[str]:
    """The manifests kubectl would read from these paths (files, directories, -R)."""
    for value in paths:
        path = Path(value)
        if path.is_dir():
            children = path.rglob("*") if recursive else path.iterdir()
            for child in sorted(children):
                if child.suffix in (".yaml", ".yml", ".json") and child.is_file():
                    yield child.read_text()
        elif path.is_file():
            yield path.read_text()
