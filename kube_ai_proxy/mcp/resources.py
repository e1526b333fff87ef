"""MCP resources and prompts that help a model find its way: which contexts and namespaces it
may use, what the cluster serves, and a troubleshooting walk-through."""

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
        where = (
            f"\nPass `context: {context}` with every call: the {kind} is there." if context else ""
        )
        return TROUBLESHOOT.format(kind=kind, name=name, namespace=namespace, where=where)
