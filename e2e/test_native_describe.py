"""Native `kubectl describe` against the real kubectl: the same text, plus the objects as data.

Each command runs through the server (answered from the API, `backend: native`) and through
kubectl on the same cluster; the texts must be equal once ages are set aside (they tick between
the two runs). What else moves between the two runs (a new event, a node's heartbeat) is met by
running both again, a few times, until they agree.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

NAMESPACE = "e2e-describe"
NODE = "e2e-describe-node"
SECRET_VALUE = "hunter2-very-secret"

MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web, tier: config}
  annotations:
    note: short
    long-note: a very long annotation value that goes on and on, and on and on and on, and on
      and on and on and on and on and on and on and on, until kubectl cuts it
data:
  app.properties: "color=blue\\nsize=10\\n"
  empty: ""
  tabbed: "a\\tb\\tc"
binaryData:
  blob: AAECAwQ=
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
imagePullSecrets: [{name: regcred}, {name: other}]
---
apiVersion: v1
kind: Secret
metadata: {name: db}
type: Opaque
stringData: {password: __SECRET__, user: admin}
---
apiVersion: v1
kind: Secret
metadata:
  name: builder-token
  annotations: {kubernetes.io/service-account.name: builder}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota}
spec: {hard: {pods: "20", services: "10", configmaps: "30"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: headless
  replicas: 2
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}
  template:
    metadata: {labels: {app: db}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      serviceAccountName: builder
      initContainers:
      - name: init
        image: busybox:1.36
        command: [sh, -c, "echo init\\necho two"]
      containers:
      - name: db
        image: postgres:16
        args: [--port, "5432"]
        ports: [{containerPort: 5432, name: pg}, {containerPort: 9187, name: metrics}]
        env:
        - {name: PLAIN, value: x}
        - {name: MULTI, value: "line1\\nline2"}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
        - name: MEM_REQ
          valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}
        - {name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
        - name: COLOR
          valueFrom: {configMapKeyRef: {name: settings, key: color, optional: true}}
        envFrom:
        - configMapRef: {name: settings}
        - {secretRef: {name: db, optional: true}, prefix: DB_}
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {cpu: "1", memory: 512Mi}
        livenessProbe: {tcpSocket: {port: 5432}, initialDelaySeconds: 5}
        readinessProbe: {exec: {command: [pg_isready, -h, localhost]}, periodSeconds: 7}
        startupProbe: {httpGet: {path: /healthz, port: metrics}, failureThreshold: 30}
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql}
        - {name: config, mountPath: /etc/config, readOnly: true, subPath: app.properties}
        - {name: scratch, mountPath: /tmp}
      volumes:
      - {name: config, configMap: {name: settings}}
      - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
      - {name: creds, secret: {secretName: db, optional: true}}
      - name: info
        downwardAPI:
          items:
          - {path: labels, fieldRef: {fieldPath: metadata.labels}}
          - {path: cpu, resourceFieldRef: {containerName: db, resource: limits.cpu}}
      - {name: host, hostPath: {path: /var/log, type: Directory}}
      tolerations:
      - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}
      - {operator: Exists}
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,
         tolerationSeconds: 60}
      nodeSelector: {kubernetes.io/os: linux}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
         labelSelector: {matchLabels: {app: db}}}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {kind: data}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, labels: {app: agent}}
spec:
  selector:
    matchLabels: {app: agent}
    matchExpressions:
    - {key: tier, operator: In, values: [b, a]}
    - {key: legacy, operator: DoesNotExist}
  template:
    metadata: {labels: {app: agent, tier: a}}
    spec:
      nodeSelector: {type: kwok}
      containers:
      - {name: agent, image: agent:2, securityContext: {seccompProfile: {type: RuntimeDefault}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 600
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: migrate:1, command: [migrate, up]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: work:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  startingDeadlineSeconds: 120
  jobTemplate:
    spec:
      activeDeadlineSeconds: 300
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: report:1}]
          volumes:
          - name: scratch
            ephemeral:
              volumeClaimTemplate:
                metadata: {labels: {a: b}}
                spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: admin, port: 9000, targetPort: admin}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  selector: {app: db}
---
apiVersion: v1
kind: Service
metadata: {name: external}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: web, port: {number: 80}}}
  tls:
  - {hosts: [web.example.com, www.example.com], secretName: web-tls}
  - {hosts: [sni.example.com]}
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /gone, pathType: Exact, backend: {service: {name: nope, port: {number: 81}}}}
  - http:
      paths:
      - path: /assets
        pathType: ImplementationSpecific
        backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bare}
spec:
  defaultBackend: {service: {name: api, port: {number: 80}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  volumeName: e2e-describe-pv
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pending}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 3Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: user, labels: {app: user}}
spec:
  containers:
  - name: app
    image: app:1
    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}
    volumeMounts: [{name: claim, mountPath: /data}]
  volumes:
  - {name: claim, persistentVolumeClaim: {claimName: claim}}
  - name: mixed
    projected:
      sources:
      - secret: {name: db}
      - configMap: {name: settings, optional: true}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
      - serviceAccountToken: {path: token, expirationSeconds: 7200}
  readinessGates: [{conditionType: example.com/ready}]
---
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeName: __NODE__
  initContainers:
  - name: setup
    image: setup:1
    resources: {requests: {cpu: "2", memory: 1Gi}, limits: {cpu: "2"}}
  - name: sidecar
    image: sidecar:1
    restartPolicy: Always
    resources: {requests: {cpu: 100m, memory: 100Mi}, limits: {cpu: 200m, memory: 200Mi}}
  containers:
  - name: main
    image: main:1
    resources:
      requests: {cpu: 500m, memory: 300Mi, ephemeral-storage: 1Gi}
      limits: {cpu: "1", memory: 1Gi}
  - {name: second, image: second:1, resources: {requests: {cpu: 250m, memory: 1500M}}}
  tolerations: [{operator: Exists}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  nodeSelector: {e2e-describe/no-such-node: "true"}
  containers: [{name: app, image: app:1}]
"""

CLUSTER_MANIFEST = """
apiVersion: v1
kind: Node
metadata:
  name: __NODE__
  labels:
    type: kwok
    kubernetes.io/hostname: __NODE__
    node-role.kubernetes.io/control-plane: ""
    node-role.kubernetes.io/worker: ""
  annotations: {kwok.x-k8s.io/node: fake}
spec:
  # Tainted so that nothing but the test's own pod lands on it: its description stays put.
  taints:
  - {key: dedicated, value: describe, effect: NoSchedule}
  - {key: b-key, effect: NoExecute}
  - {key: a-key, effect: NoSchedule}
  podCIDR: 10.99.0.0/24
  podCIDRs: [10.99.0.0/24]
  providerID: kwok://__NODE__
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv, labels: {tier: storage}}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  hostPath: {path: /data/pv}
  claimRef: {namespace: __NAMESPACE__, name: claim}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [kwok-node-0, kwok-node-1]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv-local}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  local: {path: /mnt/disk}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [kwok-node-2]}
        - {key: disk, operator: Exists}
      - matchExpressions: [{key: zone, operator: NotIn, values: [a, b]}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv-db-0}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data/db-0, type: DirectoryOrCreate}
  claimRef: {namespace: __NAMESPACE__, name: data-db-0}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv-db-1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data/db-1}
  claimRef: {namespace: __NAMESPACE__, name: data-db-1}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv-nfs}
spec:
  capacity: {storage: 500Mi}
  accessModes: [ReadWriteMany]
  nfs: {server: nfs.example.com, path: /exports}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-describe-pv-csi}
spec:
  capacity: {storage: 1Ti}
  accessModes: [ReadWriteOncePod]
  volumeMode: Block
  csi:
    driver: csi.example.com
    volumeHandle: vol-1
    fsType: ext4
    volumeAttributes: {a: "1", b: "2"}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: e2e-describe-logs, labels: {team: web}}
spec:
  selector:
    matchNamespaces: [__NAMESPACE__]
    matchNames: [a, b]
  logs:
  - containers: [api]
    logsFile: /tmp/e2e-describe.log
    follow: true
"""


CLUSTER_OBJECTS = (
    f"node/{NODE}",
    "pv/e2e-describe-pv",
    "pv/e2e-describe-pv-nfs",
    "pv/e2e-describe-pv-csi",
    "pv/e2e-describe-pv-local",
    "pv/e2e-describe-pv-db-0",
    "pv/e2e-describe-pv-db-1",
    "clusterlogs/e2e-describe-logs",
)


def _substituted(text: str) -> str:
    for placeholder, value in (
        ("__SECRET__", SECRET_VALUE),
        ("__NODE__", NODE),
        ("__NAMESPACE__", NAMESPACE),
    ):
        text = text.replace(placeholder, value)
    return text


def delete_workload(cluster: Cluster, wait: bool) -> None:
    flag = f"--wait={str(wait).lower()}"
    cluster.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", flag, timeout=180)
    cluster.kubectl("delete", *CLUSTER_OBJECTS, "--ignore-not-found", flag, timeout=180)


def create_workload(cluster: Cluster) -> None:
    """The objects the tests describe, settled: rollouts done, pods running, token issued.
    (tests/data/describe_record.py records the fast tests' data from the same objects.)"""
    delete_workload(cluster, wait=True)  # what an interrupted run left behind
    cluster.kubectl("create", "namespace", NAMESPACE)
    cluster.kubectl("apply", "-f", "-", input=_substituted(CLUSTER_MANIFEST))
    cluster.kubectl("-n", NAMESPACE, "apply", "-f", "-", input=_substituted(MANIFEST))
    ns = ("-n", NAMESPACE)
    cluster.kubectl(*ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
    cluster.kubectl(*ns, "expose", "deployment", "web", "--port=80", "--target-port=8080")
    cluster.kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=90s", timeout=120)
    # A second rollout: the deployment then has an old replica set to name.
    cluster.kubectl(*ns, "set", "image", "deployment/web", "nginx=nginx:1.28")
    for rollout in ("deployment/web", "statefulset/db", "daemonset/agent"):
        cluster.kubectl(*ns, "rollout", "status", rollout, "--timeout=90s", timeout=120)
    cluster.kubectl(
        *ns, "wait", "--for=jsonpath={.status.phase}=Running", "pod/user", "pod/pinned",
        "--timeout=90s", timeout=120,
    )  # fmt: skip
    # The token controller fills the service account token in after a moment.
    cluster.kubectl(
        *ns, "wait", "--for=jsonpath={.data.token}", "secret/builder-token", "--timeout=60s",
        timeout=90,
    )  # fmt: skip


@pytest.fixture(scope="module")
def workload(cluster: Cluster) -> Iterator[str]:
    create_workload(cluster)
    yield NAMESPACE
    delete_workload(cluster, wait=False)


# One server for the module: the commands are reads, and a server per test would cost more
# time than the comparisons themselves.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(base_server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(base_server_env) as connected:
        yield connected


async def run(client: Client[StdioTransport], command: str) -> dict[str, Any]:
    raw = await client.call_tool("execute_kubectl", {"command": command}, raise_on_error=False)
    return raw.structured_content or {}


_AGE = re.compile(r"\b\d+[smhdy](\d+[smhd])?\b")


def age_free(text: str) -> str:
    return _AGE.sub("AGE", text)


def shown(real: subprocess.CompletedProcess[str]) -> str:
    """What the server shows of a successful kubectl run: stdout, then stderr (warnings,
    "No resources found") after it."""
    out, err = real.stdout, real.stderr.strip()
    if not err:
        return out
    return f"{out}{'' if not out or out.endswith(chr(10)) else chr(10)}{err}"


async def both(
    client: Client[StdioTransport], cluster: Cluster, command: str
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """The server's result and kubectl's run, retried while they differ by more than ages:
    events and heartbeats may land between the two."""
    for _ in range(4):
        result = await run(client, command)
        real = cluster.kubectl(*command.split()[1:], check=False)
        if result.get("backend") != "native":
            break
        if result["status"] == "success" and age_free(result["output"]) == age_free(shown(real)):
            break
        if result["status"] == "error" and age_free(result["output"]) == age_free(real.stdout):
            break
    return result, real


DESCRIBED = [
    "kubectl describe pods -n {ns}",
    "kubectl describe pod user -n {ns}",
    "kubectl describe pods -n {ns} -l app=web --show-events=false",
    "kubectl describe deployment web -n {ns}",
    "kubectl describe deploy/web svc/web -n {ns}",
    "kubectl describe replicasets -n {ns} --chunk-size=1",
    "kubectl describe statefulset db -n {ns}",
    "kubectl describe daemonset agent -n {ns}",
    "kubectl describe jobs -n {ns}",
    "kubectl describe cronjob nightly -n {ns}",
    "kubectl describe services -n {ns}",
    "kubectl describe endpoints web -n {ns}",
    "kubectl describe ingress -n {ns}",
    "kubectl describe configmap settings -n {ns}",
    "kubectl describe secret db -n {ns}",
    "kubectl describe serviceaccount builder -n {ns}",
    "kubectl describe pvc -n {ns}",
    "kubectl describe pv e2e-describe-pv e2e-describe-pv-nfs e2e-describe-pv-csi",
    "kubectl describe pv e2e-describe-pv-local e2e-describe-pv-db-0",
    "kubectl describe pod stuck -n {ns}",
    "kubectl describe node " + NODE,
    "kubectl describe namespace {ns}",
    "kubectl describe clusterlogs e2e-describe-logs",
    "kubectl describe controllerrevisions -n {ns}",
    "kubectl describe cm,sa -A -l app=web",
    "kubectl describe pod db -n {ns}",
    "kubectl describe svc headless -n {ns}",
]


@pytest.mark.parametrize("template", DESCRIBED)
async def test_descriptions_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, workload: str, template: str
) -> None:
    command = template.format(ns=workload)
    result, real = await both(client, cluster, command)
    assert result["backend"] == "native", result
    assert result["status"] == "success", result
    assert real.returncode == 0, real.stderr
    assert age_free(result["output"]) == age_free(shown(real))


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("kubectl describe pod missing -n {ns}", "not_found"),
        ("kubectl describe deploy/missing -n {ns}", "not_found"),
        ("kubectl describe pod missing1 missing2 -n {ns}", "not_found"),
        ("kubectl describe pod user missing -n {ns}", "not_found"),
        ("kubectl describe widgets", "not_found"),
    ],
)
async def test_errors_match_kubectl(
    client: Client[StdioTransport],
    cluster: Cluster,
    workload: str,
    template: str,
    code: str,
) -> None:
    command = template.format(ns=workload)
    result, real = await both(client, cluster, command)
    assert real.returncode == 1
    assert result["backend"] == "native"
    assert result["exit_code"] == 1
    assert result["error"]["code"] == code
    assert result["error"]["message"] == real.stderr.strip()
    assert age_free(result["output"]) == age_free(real.stdout)


async def test_a_name_prefix_describes_every_match(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    """`describe TYPE NAME` with no object NAME: kubectl describes each whose name starts so."""
    result, real = await both(client, cluster, f"kubectl describe pods db -n {workload}")
    assert result["backend"] == "native"
    assert age_free(result["output"]) == age_free(shown(real))
    assert [o["metadata"]["name"] for o in result["data"]["objects"]] == ["db-0", "db-1"]


async def test_nothing_found_says_what_kubectl_says(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    result, real = await both(client, cluster, f"kubectl describe pods -n {workload} -l app=no")
    assert result["backend"] == "native"
    assert real.stdout == ""
    assert result["output"] == real.stderr.strip() == f"No resources found in {workload} namespace."


async def test_endpoints_carry_kubectl_deprecation_warning(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    result, real = await both(client, cluster, f"kubectl describe endpoints -n {workload}")
    assert result["backend"] == "native"
    assert "Warning: v1 Endpoints is deprecated" in real.stderr
    assert age_free(result["output"]) == age_free(shown(real))


async def test_data_holds_the_objects_and_their_events(
    client: Client[StdioTransport], workload: str
) -> None:
    result = await run(client, f"kubectl describe deployment web -n {workload}")
    (deployment,) = result["data"]["objects"]
    assert deployment["kind"] == "Deployment"
    assert deployment["metadata"]["name"] == "web"
    events = result["data"]["events"]
    assert events
    assert {e["involvedObject"]["name"] for e in events} == {"web"}
    assert any(e["reason"] == "ScalingReplicaSet" for e in events)


async def test_secret_values_never_appear(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    token = cluster.kubectl_json("get", "secret", "builder-token", "-n", workload)["data"]["token"]
    token_text = base64.b64decode(token).decode()
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for command in (
        f"kubectl describe secrets -n {workload}",
        f"kubectl describe secret db -n {workload}",
        f"kubectl describe secret builder-token -n {workload}",
    ):
        result = await run(client, command)
        assert result["backend"] == "native"
        dumped = result["output"] + json.dumps(result["data"])
        for value in (SECRET_VALUE, encoded, token, token_text):
            assert value not in dumped, command
    result = await run(client, f"kubectl describe secret builder-token -n {workload}")
    # kubectl prints a service account token itself; the server shows its size instead.
    assert f"token:      {len(token_text)} bytes" in result["output"]
    (secret,) = result["data"]["objects"]
    assert set(secret["data"].values()) == {"REDACTED"}


async def test_kinds_and_forms_not_ported_go_to_kubectl(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    for command in (
        f"kubectl describe quota -n {workload}",  # kubectl's ResourceQuota describer
        f"kubectl describe all -n {workload}",  # a category
        f"kubectl describe pod/user pod/missing -n {workload}",  # kubectl's prefix retry
    ):
        result = await run(client, command)
        real = cluster.kubectl(*command.split()[1:], check=False)
        assert result["backend"] == "cli", command
        assert result["exit_code"] == real.returncode


async def test_pipes_read_the_native_text(client: Client[StdioTransport], workload: str) -> None:
    result = await run(client, f"kubectl describe pod user -n {workload} | grep -c Volumes")
    assert result["backend"] == "native"
    assert result["output"].strip() == "1"
