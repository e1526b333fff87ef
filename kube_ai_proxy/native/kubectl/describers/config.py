"""The describers of ConfigMap and Secret."""

from __future__ import annotations

import base64

from kube_ai_proxy.native.kubectl.describers.gather import Related
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    decoded_size,
    describe_events,
    m,
    print_annotations,
    print_labels,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter


def render_config_map(config: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta = m(config, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, "\nData\n====\n")
    data = m(config, "data")
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = m(config, "binaryData")
    for key in sorted(binary):
        w.write(0, f"{key}: {decoded_size(binary[key])} bytes\n")
    w.write(0, "\n")
    describe_events(w, related.get("events"), now)
    return w.text()


SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"  # noqa: S105 (a Secret type)


def render_secret(secret: Obj, related: Related, _now: float) -> str:
    """Sizes only. kubectl prints a service account token's own value; this server shows its
    size instead unless Secrets may be shown (related["showToken"])."""
    w = PrefixWriter()
    meta = m(secret, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"\nType:\t{s(secret, 'type')}\n")
    w.write(0, "\nData\n====\n")
    data = m(secret, "data")
    for key in sorted(data):
        if (
            key == "token"
            and s(secret, "type") == SERVICE_ACCOUNT_TOKEN
            and related.get("showToken")
        ):
            w.write(0, f"{key}:\t{base64.b64decode(str(data[key])).decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{key}:\t{decoded_size(data[key])} bytes\n")
    return w.text()
