"""The describers of PersistentVolumeClaim and PersistentVolume."""

from __future__ import annotations

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.kubectl.apimachinery import since
from kube_ai_proxy.native.kubectl.describers.gather import (
    Related,
    Source,
    events_of,
    namespace_pods,
)
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    access_modes,
    b,
    describe_events,
    go_bool,
    items,
    m,
    print_annotations,
    print_claim,
    print_csi_attributes,
    print_host_path,
    print_labels,
    print_nfs,
    print_pods,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter


async def gather_claim(source: Source, claim: Obj) -> Related:
    pods = await namespace_pods(source, claim)
    return {"pods": pods, **await events_of(source, claim)}


def claim_users(claim: Obj, pods: list[Obj]) -> list[Obj]:
    """getPodsForPVC: pods mounting the claim (once per volume), then owning pods."""
    meta = m(claim, "metadata")
    users = [
        pod
        for pod in pods
        for volume in items(m(pod, "spec"), "volumes")
        if volume.get("persistentVolumeClaim") is not None
        and s(m(volume, "persistentVolumeClaim"), "claimName") == s(meta, "name")
    ]
    for owner in items(meta, "ownerReferences"):
        if s(owner, "kind") != "Pod":
            continue
        found = next((p for p in pods if s(m(p, "metadata"), "uid") == s(owner, "uid")), None)
        if found is not None and all(
            s(m(u, "metadata"), "uid") != s(m(found, "metadata"), "uid") for u in users
        ):
            users.append(found)
    return users


def render_claim(claim: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    print_claim(w, claim, full=True, now=now)
    print_pods(w, "Used By", claim_users(claim, related.get("pods") or []))
    conditions = items(m(claim, "status"), "conditions")
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(
                1,
                f"{s(c, 'type')} \t{s(c, 'status')} \t{rfc1123z(c.get('lastProbeTime'))} \t"
                f"{rfc1123z(c.get('lastTransitionTime'))} \t{s(c, 'reason')} \t{s(c, 'message')}\n",
            )
    describe_events(w, related.get("events"), now)
    return w.text()


def render_volume(volume: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(volume, "metadata"), m(volume, "spec"), m(volume, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Finalizers:\t{go_value(items(meta, 'finalizers'))}\n")
    annotations = m(meta, "annotations")
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", s(spec, "storageClassName")
    )
    w.write(0, f"StorageClass:\t{storage_class}\n")
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{s(status, 'phase')}\n")
    claim = spec.get("claimRef")
    claim_text = f"{s(claim, 'namespace')}/{s(claim, 'name')}" if claim is not None else ""
    w.write(0, f"Claim:\t{claim_text}\n")
    w.write(0, f"Reclaim Policy:\t{s(spec, 'persistentVolumeReclaimPolicy')}\n")
    w.write(0, f"Access Modes:\t{access_modes(items(spec, 'accessModes'))}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{s(spec, 'volumeMode')}\n")
    w.write(0, f"Capacity:\t{m(spec, 'capacity').get('storage', '0')}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{s(status, 'message')}\n")
    w.write(0, "Source:\n")
    _volume_source(w, spec)
    describe_events(w, related.get("events"), now)
    return w.text()


def _node_affinity(w: PrefixWriter, affinity: Obj | None) -> None:
    w.write(0, "Node Affinity:\t")
    if affinity is None or affinity.get("required") is None:
        w.write_line("<none>")
        return
    w.write_line("")
    w.write(1, "Required Terms:\t")
    terms = items(m(affinity, "required"), "nodeSelectorTerms")
    if not terms:
        w.write_line("<none>")
        return
    w.write_line("")
    for index, term in enumerate(terms):
        w.write(2, f"Term {index}:\t")
        expressions = items(term, "matchExpressions")
        if not expressions:
            w.write_line("<none>")
            continue
        for position, expr in enumerate(expressions):
            if position:
                w.write(2, "\t")
            text = f"{s(expr, 'key')} {s(expr, 'operator').lower()}"
            if items(expr, "values"):
                text += f" [{', '.join(items(expr, 'values'))}]"
            w.write(0, f"{text}\n")


def _volume_source(w: PrefixWriter, spec: Obj) -> None:
    """The persistent volume's source, in kubectl's order of precedence."""
    for field in (
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "quobyte",
        "vsphereVolume",
        "cinder",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "local",
        "cephfs",
        "storageos",
        "fc",
        "azureFile",
        "flexVolume",
        "flocker",
        "csi",
    ):
        if spec.get(field) is None:
            continue
        source = m(spec, field)
        if field == "hostPath":
            print_host_path(w, source)
        elif field == "nfs":
            print_nfs(w, source)
        elif field == "local":
            w.write(
                2,
                "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
                f"    Path:\t{s(source, 'path')}\n",
            )
        elif field == "csi":
            _csi_volume(w, source)
        else:
            raise Defer(f"{field} persistent volumes are not ported")
        return
    w.write(1, "<unknown>\n")


def _csi_volume(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
        f"    Driver:\t{s(source, 'driver')}\n"
        f"    FSType:\t{s(source, 'fsType')}\n"
        f"    VolumeHandle:\t{s(source, 'volumeHandle')}\n"
        f"    ReadOnly:\t{go_bool(b(source, 'readOnly'))}\n",
    )
    print_csi_attributes(w, m(source, "volumeAttributes"))
