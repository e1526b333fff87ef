"""Fuzzing the policy with commands generated from kubectl's own spec.

Each property draws a kubectl subcommand from `specs/kubectl.json` (by any of its aliases), flags
that subcommand accepts with values chosen to matter (namespaces, -A spellings, output formats,
raw paths, `-f -` with a manifest), and positional arguments, and runs the line through
`call.judged_plan` and `Policy.check` as a call would. The properties are checked against oracles
written here from kubectl's documented behaviour, not against the policy's own tables:

- in read-only mode, an accepted command is one of kubectl's reads;
- with allowed namespaces, an accepted command touches only those (the namespace kubectl would
  use: the last -n, else the context's) and never has -A;
- an identity or server flag is refused wherever it stands and however it is written.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kube_ai_proxy.call import judged_plan
from kube_ai_proxy.config import AccessMode
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.judge.invariants import Limits
from kube_ai_proxy.judge.policy import Policy, Target
from kube_ai_proxy.kubeconfig import KubeconfigReader
from kube_ai_proxy.parse.clispec import CliSpecs, CommandNode, FlagSpec, load_spec
from kube_ai_proxy.parse.command import CliCommand

SPECS = CliSpecs()
KUBECTL = load_spec("kubectl")
# A few hundred examples per property keep `make test` fast; KUBE_AI_PROXY_FUZZ_EXAMPLES=20000
# runs a longer search.
EXAMPLES = int(os.environ.get("KUBE_AI_PROXY_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
contexts:
- {name: dev, context: {cluster: c, user: u, namespace: web}}
- {name: prod, context: {cluster: c, user: u}}
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
"""
# What kubectl falls back to without -n: the context's namespace, else `default`.
CONTEXT_NAMESPACE = {"dev": "web", "prod": "default"}
ALLOWED = ("web", "api")


@pytest.fixture(scope="module")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> KubeconfigReader:
    path = tmp_path_factory.mktemp("fuzz") / "config"
    path.write_text(KUBECONFIG)
    return KubeconfigReader(str(path))


# --- oracles, from kubectl's documentation ------------------------------------------------------

# The kubectl commands that only read (from the API server, the kubeconfig or local files).
READS = {
    tuple(verb.split())
    for verb in (
        "get",
        "describe",
        "logs",
        "explain",
        "api-resources",
        "api-versions",
        "version",
        "cluster-info",
        "cluster-info dump",
        "top",
        "top node",
        "top pod",
        "events",
        "auth can-i",
        "auth whoami",
        "diff",
        "wait",
        "config view",
        "config current-context",
        "config get-contexts",
        "config get-clusters",
        "config get-users",
        "completion",
        "help",
        "options",
        "plugin list",
        "kustomize",
        "alpha kuberc view",
        "rollout history",
        "rollout status",
    )
}

# Commands for which -n means nothing: they act on the cluster, the kubeconfig or local files.
NAMESPACE_FREE = {
    tuple(verb.split())
    for verb in (
        "version",
        "api-resources",
        "api-versions",
        "cluster-info",
        "completion",
        "help",
        "options",
        "explain",
        "kustomize",
        "plugin",
        "plugin list",
        "top node",
        "cordon",
        "uncordon",
        "drain",
        "taint",
        "certificate",
        "certificate approve",
        "certificate deny",
        "alpha",
        "alpha kuberc",
        "alpha kuberc view",
        "alpha kuberc set",
        "config",
    )
}

TRUE = ("true", "1", "t")  # strconv.ParseBool, case aside


def truthy(value: str | None) -> bool:
    return value is None or value.lower() in TRUE


# --- what the generator draws from ---------------------------------------------------------------

# Positional words; not flags (nor `--`, after which the words are positional for kubectl).
NAME = st.text(st.sampled_from("abcxyz0189-."), min_size=1, max_size=6).filter(
    lambda w: not w.startswith("-")
)
NAMESPACES = st.sampled_from(["web", "api", "kube-system", "default", ""])
NAMESPACED_TYPES = ["pods", "po", "deploy", "deployments.apps", "cm", "secrets", "svc", "jobs"]
CLUSTER_TYPES = ["nodes", "ns", "namespaces", "pv", "crd", "clusterroles", "storageclasses"]
RAW_PATHS = [
    "/api/v1/namespaces/web/pods",
    "/api/v1/namespaces/kube-system/secrets",
    "/api/v1/pods",
    "/apis/apps/v1/deployments",
    "/api/v1/namespaces/web/pods/x/proxy/",
    "/api/v1/namespaces/web/pods/x/log",
    "/api/v1/nodes/n1/proxy/metrics",
    "/api/v1/namespaces/web/../kube-system/secrets",
    "/api/v1/namespaces/web/pods/x/%70roxy/",
    "/api/v1/pods#/namespaces/web/pods",
    "/version",
    "/metrics",
]
OUTPUTS = ["json", "yaml", "wide", "name", "JSON", "kyaml", "jsonpath={.x}", "go-template={{.}}"]


def manifest(kind: str, namespace: str | None) -> str:
    meta: dict[str, Any] = {"name": "x"}
    if namespace is not None:
        meta["namespace"] = namespace
    return yaml.safe_dump({"apiVersion": "v1", "kind": kind, "metadata": meta})


MANIFESTS = st.lists(
    st.builds(
        manifest,
        st.sampled_from(["ConfigMap", "Deployment", "Secret", "Pod", "Namespace", "Node"]),
        st.one_of(st.none(), NAMESPACES.filter(bool)),
    ),
    min_size=1,
    max_size=3,
).map("---\n".join)


def value_for(flag: FlagSpec) -> st.SearchStrategy[str | None]:
    """Values that matter for the policy, by flag; any short word otherwise."""
    special: dict[str, st.SearchStrategy[str | None]] = {
        "namespace": NAMESPACES,
        "context": st.sampled_from(["dev", "prod"]),
        "all-namespaces": st.sampled_from([None, "true", "True", "1", "t", "false", "0"]),
        "raw": st.sampled_from(RAW_PATHS),
        "output": st.sampled_from(OUTPUTS),
        "filename": st.just("-"),
        "v": st.sampled_from([str(n) for n in range(10)]),
    }
    if flag.name in special:
        return special[flag.name]
    if not flag.takes_value:
        return st.sampled_from([None, "true", "false"])
    return NAME


def spellings(flag: FlagSpec, value: str | None) -> list[list[str]]:
    """The ways pflag reads `flag` with `value`: --name=v, --name v, -n v, -nv, -n=v."""
    forms: list[list[str]] = []
    for name in dict.fromkeys([flag.name, flag.name.replace("-", "_")]):  # `_` reads as `-`
        forms.append([f"--{name}"] if value is None else [f"--{name}={value}"])
        if flag.takes_value and value is not None:
            forms.append([f"--{name}", value])
    if flag.short:
        if value is None:
            forms.append([f"-{flag.short}"])
        elif flag.takes_value:
            forms.append([f"-{flag.short}", value])
            if value and not value.startswith("="):
                forms.append([f"-{flag.short}{value}"])
        if value:
            forms.append([f"-{flag.short}={value}"])
    return forms


@st.composite
def flag_words(draw: st.DrawFn, flags: list[FlagSpec]) -> list[str]:
    flag = draw(st.sampled_from(flags))
    return draw(st.sampled_from(spellings(flag, draw(value_for(flag)))))


def _nodes() -> list[CommandNode]:
    return [n for n in KUBECTL.root.walk() if n.path and not n.disable_flag_parsing]


NODES = _nodes()


@st.composite
def verb_words(draw: st.DrawFn, node: CommandNode) -> list[str]:
    words: list[str] = []
    walk = KUBECTL.root
    for name in node.path:
        child = walk.children[name]
        words.append(draw(st.sampled_from([name, *child.aliases])))
        walk = child
    return words


@st.composite
def kubectl_lines(
    draw: st.DrawFn, nodes: list[CommandNode], types: list[str]
) -> tuple[str, str | None]:
    """A kubectl command line and the stdin it is sent with."""
    node = draw(st.sampled_from(nodes))
    flags = sorted(node.flags.values(), key=lambda f: f.name)
    # Flags that matter more often than their share of the spec would give them.
    hot = [
        node.flags[n] for n in ("namespace", "all-namespaces", "filename", "raw") if n in node.flags
    ]
    chosen = st.one_of(flag_words(flags), flag_words(hot)) if hot else flag_words(flags)
    units: list[list[str]] = draw(st.lists(chosen, max_size=4))
    first = draw(st.sampled_from(types))
    args = draw(st.lists(st.one_of(st.just(first), NAME), max_size=2))
    type_first = draw(st.booleans())  # `get pods x` more often than `get x pods`
    if args and type_first:
        args[0] = first
    units += [[a] for a in args]
    units = draw(st.permutations(units))
    before: list[str] = []
    if draw(st.booleans()):
        # Global flags may come before the verb; -n is the one that hides it best.
        before = draw(st.sampled_from([["-n", "kube-system"], ["--context", "prod"], ["--v=2"]]))
    words = ["kubectl", *before, *draw(verb_words(node)), *(w for u in units for w in u)]
    return shlex.join(words), draw(MANIFESTS)


def check(
    line: str,
    stdin: str | None,
    kubeconfig: KubeconfigReader,
    access: AccessMode,
    namespaces: tuple[str, ...] = (),
) -> tuple[CliCommand, Target] | None:
    """The parsed command and its target when the call would be accepted, else None."""
    try:
        command = judged_plan(SPECS, "kubectl", line, Limits()).command
        policy = Policy(access, namespaces, (), None, kubeconfig)
        return command, policy.check(policy.scope(command), stdin)
    except CommandError:
        return None


# --- the properties -----------------------------------------------------------------------------


@FUZZ
@given(case=kubectl_lines(NODES, NAMESPACED_TYPES + CLUSTER_TYPES))
def test_read_only_accepts_only_reads(
    case: tuple[str, str | None], kubeconfig: KubeconfigReader
) -> None:
    line, stdin = case
    accepted = check(line, stdin, kubeconfig, "read-only")
    event("accepted" if accepted else "refused")  # --hypothesis-show-statistics
    if accepted is None:
        return
    command, target = accepted
    assert command.verb in READS, line
    assert target.level == "read", line
    raw = command.value("raw")
    if raw is not None:
        # A raw path is a GET only under `get`, and never one into pods or nodes.
        assert command.verb == ("get",), line
        assert not any(
            part in ("proxy", "exec", "attach", "portforward") for part in raw.split("/")
        ), line


# kubectl create for objects outside namespaces ignores -n as well.
CLUSTER_CREATES = {
    ("create", k) for k in ("namespace", "clusterrole", "clusterrolebinding", "priorityclass")
}
NAMESPACE_FREE_GROUPS = {("config",), ("certificate",), ("alpha",), ("plugin",)}
NAMESPACED_NODES = [
    n
    for n in NODES
    if n.path not in NAMESPACE_FREE
    and n.path[:1] not in NAMESPACE_FREE_GROUPS
    and n.path not in CLUSTER_CREATES
]


def kubectl_namespace(command: CliCommand) -> str:
    """The namespace kubectl uses: the last -n if not empty, else the context's."""
    given_ns = command.values("namespace")
    if given_ns and given_ns[-1]:
        return given_ns[-1]
    return CONTEXT_NAMESPACE[command.value("context") or "dev"]


@FUZZ
@given(
    case=kubectl_lines(NAMESPACED_NODES, NAMESPACED_TYPES),
    access=st.sampled_from(["standard", "admin"]),
)
def test_allowed_namespaces_hold(
    case: tuple[str, str | None], access: AccessMode, kubeconfig: KubeconfigReader
) -> None:
    line, stdin = case
    accepted = check(line, stdin, kubeconfig, access, ALLOWED)
    event("accepted" if accepted else "refused")
    if accepted is None:
        return
    command, target = accepted
    every = command.values("all-namespaces")  # pflag: the last one counts
    assert not (every and truthy(every[-1])), line
    assert not target.all_namespaces, line
    assert target.namespaces <= set(ALLOWED), line
    raw = command.value("raw")
    if raw is not None:
        # The path is the request (-f is then at most its body); its namespace is the one.
        if "/namespaces/" in raw:
            assert raw.split("/namespaces/", 1)[1].split("/")[0] in ALLOWED, line
    elif command.verb == ("cluster-info", "dump"):
        # It dumps --namespaces, else kube-system and the current namespace.
        named = [n for v in command.values("namespaces") if v for n in v.split(",") if n]
        assert set(named or ("kube-system", kubectl_namespace(command))) <= set(ALLOWED), line
    elif "-" in [p for v in command.values("filename") if v for p in v.split(",")]:
        # The objects of the manifest: their own namespace, or the command's.
        for doc in yaml.safe_load_all(stdin or ""):
            if doc["kind"] in ("Namespace", "Node"):
                continue
            namespace = doc["metadata"].get("namespace") or kubectl_namespace(command)
            assert namespace in ALLOWED, (line, stdin)
    elif not command.values("filename"):
        assert kubectl_namespace(command) in ALLOWED, line


# The kubectl flags that change who we are or where we connect (DESIGN, invariant 3).
IDENTITY = [
    "kubeconfig",
    "server",
    "token",
    "as",
    "as-group",
    "as-uid",
    "as-user-extra",
    "user",
    "cluster",
    "username",
    "password",
    "client-key",
    "client-certificate",
    "certificate-authority",
    "tls-server-name",
    "insecure-skip-tls-verify",
    "kuberc",
]
# Where a flag of that name means something else (the subject of a binding, the server field
# of a kubeconfig entry) or is not kubectl's own.
LOCAL_MEANING = {("create", "clusterrolebinding"), ("create", "rolebinding"), ("set", "subject")}


def disguise(word: str, draw: st.DrawFn) -> str:
    """The shell-quoted text of `word`, with quotes or a backslash somewhere inside it, as a
    shell (and the tokenizer) would join back into `word`."""
    way = draw(st.sampled_from(["plain", "single", "double", "empty", "backslash", "whole"]))
    at = draw(st.integers(min_value=1, max_value=max(1, len(word) - 1)))
    head, tail = word[:at], word[at:]
    if not tail or not set(word) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_=.:/"):
        return shlex.quote(word)
    return {
        "plain": word,
        "single": f"{head}'{tail}'",
        "double": f'{head}"{tail}"',
        "empty": f"{head}''{tail}",
        "backslash": f"{head}\\{tail}",
        "whole": f"'{word}'",
    }[way]


@st.composite
def identity_lines(draw: st.DrawFn) -> str:
    node = draw(st.sampled_from([n for n in NODES if n.path not in LOCAL_MEANING]))
    name = draw(st.sampled_from(IDENTITY))
    flag = node.flags.get(name) or KUBECTL.root.flags[name]
    value = draw(st.sampled_from(["https://evil.example", "admin", "/tmp/k", "x", "true", ""]))
    bools = [f.short for f in node.flags.values() if f.short and not f.takes_value]
    forms: list[list[str]] = [[f"--{name}={value}"], [f"--{name.replace('-', '_')}={value}"]]
    if flag.takes_value and value:
        forms.append([f"--{name}", value])
    if not flag.takes_value:
        forms.append([f"--{name}"])
    if flag.short and node.flags.get(name) is flag:
        cluster = "".join(draw(st.lists(st.sampled_from(bools), max_size=2))) if bools else ""
        forms += [
            [f"-{cluster}{flag.short}", value or "x"],
            [f"-{cluster}{flag.short}{value or 'x'}"],
        ]
    smuggled = draw(st.sampled_from(forms))
    others = draw(
        st.lists(flag_words(sorted(node.flags.values(), key=lambda f: f.name)), max_size=2)
    )
    units = draw(st.permutations([smuggled, *others, [draw(NAME)]]))
    verb = draw(verb_words(node))
    # Before the verb, or anywhere after it (not after `--`: there it is the container's).
    if draw(st.booleans()):
        words = [*smuggled, *verb, *(w for u in units if u is not smuggled for w in u)]
    else:
        words = [*verb, *(w for u in units for w in u)]
    return " ".join(["kubectl", *(disguise(w, draw) for w in words)])


@FUZZ
@given(line=identity_lines())
def test_identity_flags_are_refused_however_written(
    line: str, kubeconfig: KubeconfigReader
) -> None:
    assert check(line, "kind: ConfigMap\n", kubeconfig, "admin") is None, line


def test_the_oracles_name_real_kubectl_commands() -> None:
    """A typo in an oracle would make a property vacuous."""
    paths = {n.path for n in KUBECTL.root.walk()}
    assert paths >= READS
    assert paths >= NAMESPACE_FREE
    assert {n for n in IDENTITY if n in KUBECTL.root.flags} == set(IDENTITY)


def test_the_generators_reach_accepted_commands(kubeconfig: KubeconfigReader) -> None:
    """The properties are not vacuous: lines like the generated ones do get accepted."""
    cases: list[tuple[str, AccessMode, tuple[str, ...]]] = [
        ("kubectl get po -n web", "read-only", ()),
        ("kubectl -n api rollout status deploy/x", "read-only", ALLOWED),
        ("kubectl label pods x a=b --namespace=web", "standard", ALLOWED),
        ("kubectl --context prod get pods -n api", "read-only", ALLOWED),
    ]
    for line, access, namespaces in cases:
        assert check(line, None, kubeconfig, access, namespaces) is not None, line
