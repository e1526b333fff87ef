"""MCP resources and prompts that help a model find its way: which contexts and namespaces it
may use, what the cluster serves, and walk-throughs a person picks from a client's menu (a
workload in trouble, a stuck rollout, a helm upgrade to preview, an Argo CD app out of sync),
whose arguments are completed (completion.py)."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import Context, FastMCP

from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.lifespan import served

TROUBLESHOOT = """\
Find out what is wrong with the {kind} `{name}` in namespace `{namespace}`. Use the
execute_kubectl tool for each step, read its `output`, and stop as soon as the cause is clear:

1. `kubectl get {kind} {name} -n {namespace} -o wide` - does it exist, is it ready?
2. `kubectl describe {kind} {name} -n {namespace}` - conditions, replicas, and the events at
   the end (failed scheduling, image pulls, probes, OOM kills).
3. `kubectl get pods -n {namespace} -o wide` and pick the pods that belong to it (for a pod,
   itself); for each unhealthy one, `kubectl describe pod POD -n {namespace}`.
4. `kubectl logs POD -n {namespace} --tail=100`, and `--previous` when it restarted.
5. `kubectl get events -n {namespace} --field-selector involvedObject.name={name}` and the
   same for its pods.

Then say what is wrong, the evidence (quote the lines), and the command that would fix it.
Do not run a command that changes the cluster without asking first.{where}"""


ROLLOUT_STUCK = """\
Find out why the rollout of the deployment `{name}` in namespace `{namespace}` does not finish.
Use the execute_kubectl tool for each step and stop as soon as the cause is clear:

1. `kubectl rollout status deployment/{name} -n {namespace} --timeout=10s` - is it progressing?
2. `kubectl get deployment {name} -n {namespace} -o wide` and `kubectl describe deployment
   {name} -n {namespace}`: the Progressing and Available conditions (ProgressDeadlineExceeded),
   desired, updated and available replicas, the strategy (maxUnavailable, maxSurge).
3. `kubectl get replicasets -n {namespace} -o wide` and pick the newest of this deployment: are
   its pods created (quota, admission, a webhook refusing them)?
4. `kubectl get pods -n {namespace} -o wide` for the new pods; `kubectl describe pod POD -n
   {namespace}` for each that is not ready: scheduling (resources, taints, affinity, volumes),
   image pulls, readiness probes, crash loops; `kubectl logs POD -n {namespace} --tail=50`.
5. `kubectl get events -n {namespace} --sort-by=.lastTimestamp` for what the controllers said.

Then say what holds the rollout, the evidence, and the command that would unblock it (or roll
it back: `kubectl rollout undo deployment/{name} -n {namespace}`). Ask before changing
anything.{where}"""

HELM_UPGRADE = """\
Show what `helm upgrade {release} {chart} -n {namespace}` would change, before anything changes.
Use the execute_helm tool:

1. `helm status {release} -n {namespace}` and `helm history {release} -n {namespace}`: the
   deployed revision, its chart and app version, whether a previous upgrade failed.
2. `helm get values {release} -n {namespace}` (the values set now) and `helm show values
   {chart}` (the chart's defaults): which values would change.
3. `helm upgrade {release} {chart} -n {namespace} --dry-run=server` and `helm get manifest
   {release} -n {namespace}`: compare the rendered manifests with the deployed ones, resource
   by resource (images, replicas, resources, new or removed objects).

Then list the changes that matter (an image, a replica count, a removed resource, a changed
Secret's keys but never its values) and what could go wrong. Do not run the upgrade without
asking first.{where}"""

ARGOCD_OUT_OF_SYNC = """\
Find out why the Argo CD application `{app}` is out of sync or unhealthy. Use the
execute_argocd tool (and execute_kubectl for the cluster side):

1. `argocd app get {app}`: sync status, health, the revision, the conditions (errors in
   generating manifests, a missing repository, a comparison error).
2. `argocd app diff {app}`: what differs between git and the cluster (exit code 1 means
   differences were found).
3. `argocd app resources {app}`: which resources are OutOfSync, Missing or Degraded.
4. `argocd app history {app}`: the last syncs, and whether the last one failed.
5. For a degraded resource, `kubectl describe` it and its events in its namespace.

Then say why it is out of sync (a change made by hand in the cluster, a commit not yet synced, a
sync that failed and why) and the command that would fix it. Ask before syncing."""


def _context_line(context: str, what: str) -> str:
    """The prompt's last line when a kube context is chosen."""
    return f"\nPass `context: {context}` with every call: {what} is there." if context else ""


def add_resources(mcp: FastMCP[Any], settings: Settings) -> None:

    @mcp.resource(
        "kube://contexts",
        name="contexts",
        description="The kube contexts this server may use (name, cluster, default namespace, "
        "which is current). Pass one as `context` to execute_kubectl.",
        mime_type="application/json",
    )
    def contexts(ctx: Context) -> str:
        listed = served(ctx).calls.policy.kubeconfig.contexts()
        if settings.allowed_contexts:
            listed = [c for c in listed if c["name"] in settings.allowed_contexts]
        return json.dumps({"contexts": listed}, indent=2)

    @mcp.resource(
        "kube://changes",
        name="changes",
        description="The writes this server performed, newest first: when, who, the command, "
        "what it changed, and the exact command that reverts each part (run it with the "
        "execute tool, with `stdin` when given; it is previewed and confirmed like any write).",
        mime_type="application/json",
    )
    def changes(ctx: Context) -> str:
        journal = served(ctx).calls.journal
        if journal is None:
            off = "read-only mode" if settings.access == "read-only" else "K8S_MCP_JOURNAL=off"
            return json.dumps({"changes": [], "note": f"no journal is kept ({off})"}, indent=2)
        listed = [change.model_dump() for change in journal.recent()]
        return json.dumps({"changes": listed}, indent=2)

    @mcp.resource(
        "kube://namespaces",
        name="namespaces",
        description="The namespaces of the default context that commands may touch.",
        mime_type="application/json",
    )
    async def namespaces(ctx: Context) -> str:
        if settings.allowed_namespaces:
            names = list(settings.allowed_namespaces)
        else:
            api = await served(ctx).backends.kube.get(settings.context)
            listed = await api.request("GET", "/api/v1/namespaces")
            names = sorted(item["metadata"]["name"] for item in listed.get("items") or [])
        return json.dumps({"namespaces": names}, indent=2)

    @mcp.resource(
        "kube://api-resources",
        name="api-resources",
        description="The resource types the cluster serves: name, short names, API version, "
        "namespaced, kind, verbs.",
        mime_type="application/json",
    )
    async def api_resources(ctx: Context) -> str:
        discovery = await (await served(ctx).backends.kube.get(settings.context)).discovery()
        return json.dumps(
            {
                "resources": [
                    {
                        "name": r.plural,
                        "shortNames": list(r.short_names),
                        "apiVersion": r.group_version,
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": list(r.verbs),
                    }
                    for r in discovery.resources
                ]
            },
            indent=2,
        )

    @mcp.prompt(
        name="troubleshoot-workload",
        description="Walk through get, describe, logs and events to find out what is wrong "
        "with a deployment, statefulset, daemonset, job or pod.",
    )
    def troubleshoot(kind: str, name: str, namespace: str = "default", context: str = "") -> str:
        where = _context_line(context, f"the {kind}")
        return TROUBLESHOOT.format(kind=kind, name=name, namespace=namespace, where=where)

    @mcp.prompt(
        name="rollout-stuck",
        description="Find out why a deployment's rollout does not finish: conditions, the new "
        "ReplicaSet, its pods, events.",
    )
    def rollout_stuck(name: str, namespace: str = "default", context: str = "") -> str:
        where = _context_line(context, "the deployment")
        return ROLLOUT_STUCK.format(name=name, namespace=namespace, where=where)

    @mcp.prompt(
        name="helm-upgrade-preview",
        description="Show what a helm upgrade of a release would change (values, manifests) "
        "before running it.",
    )
    def helm_upgrade(
        release: str, chart: str, namespace: str = "default", context: str = ""
    ) -> str:
        where = _context_line(context, "the release")
        return HELM_UPGRADE.format(release=release, chart=chart, namespace=namespace, where=where)

    @mcp.prompt(
        name="argocd-app-out-of-sync",
        description="Find out why an Argo CD application is out of sync or unhealthy: its "
        "status, diff, resources and history.",
    )
    def argocd_out_of_sync(app: str) -> str:
        return ARGOCD_OUT_OF_SYNC.format(app=app)
