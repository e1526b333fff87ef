"""The caller's own token for the CLIs (K8S_MCP_IDENTITY=passthrough).

kubectl, helm and istioctl read credentials from a kubeconfig only (a `--token` flag would
show the token in the process list), so each call of a CLI that talks to the cluster gets a
kubeconfig of its own: the API server of the call's context, as the server's client reaches
it (address, CA, TLS server name, proxy), and the caller's token as the only credential. It
is written to a private directory and removed when the call ends.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.kubernetes import KubeAPI


@contextmanager
def caller_kubeconfig(api: KubeAPI, context: str | None, namespace: str) -> Iterator[str]:
    """A kubeconfig for the caller `api` acts as (a passthrough `ActAs`), whose context is
    named `context` (the one the CLI is told to use) and is also its current one."""
    token = api.acting_as.bearer if api.acting_as else None
    if token is None:
        raise ValueError("caller_kubeconfig needs an API that passes a caller's token through")
    own = api.session.connection
    cluster: dict[str, object] = {"server": own.server}
    if own.ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(own.ca).decode()
    if own.insecure:
        cluster["insecure-skip-tls-verify"] = True
    if own.tls_server_name:
        cluster["tls-server-name"] = own.tls_server_name
    if own.proxy:
        cluster["proxy-url"] = own.proxy
    name = context or "caller"
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "cluster", "cluster": cluster}],
        "users": [{"name": "caller", "user": {"token": token}}],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": "cluster", "user": "caller", "namespace": namespace},
            }
        ],
        "current-context": name,
    }
    directory = tempfile.mkdtemp(prefix="kube-ai-proxy-caller-")  # mode 0700
    path = os.path.join(directory, "kubeconfig")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
