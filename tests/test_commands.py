"""Parsing a CLI invocation as cobra and pflag do, and the normalized argv that runs.

The cases were checked by hand against kubectl v1.35, helm v3.22, istioctl 1.31.0 and argocd
v3.5.7 built from source (e.g. `kubectl get pods -As http://127.0.0.1:1` does connect to that
server, `--namespace_=x` is an unknown flag while `--all_namespaces` is `--all-namespaces`,
`kubectl rollout -An restart x` descends into `rollout restart`); these tests need no binary.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.parse.clispec import CliSpecs, CommandNode, FlagSpec, Tool, build_spec
from kube_ai_proxy.parse.command import CliCommand, Flag, parse_command
from kube_ai_proxy.parse.words import split_pipeline

# Read once for the module: hypothesis runs each example without fixtures.
SPECS = CliSpecs()


def parse(line: str) -> CliCommand:
    """Parse `line` (starting with the tool's name) with the real tokenizer and the tool's spec."""
    tool, *words = split_pipeline(line)[0]
    assert tool in ("kubectl", "helm", "istioctl", "argocd")
    return parse_command(SPECS[cast(Tool, tool)], words)


def refused(line: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        parse(line)
    assert caught.value.code == "invalid_command"
    return caught.value


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("kubectl -n x --v=2 delete pod y", ("delete",)),
        ("kubectl --namespace x rollout restart deploy/web", ("rollout", "restart")),
        ("kubectl rollout --namespace x restart deploy/web", ("rollout", "restart")),
        ("kubectl --insecure-skip-tls-verify get pods", ("get",)),
        ("kubectl --context=c config view", ("config", "view")),
        ("kubectl --namespace get get pods", ("get",)),
        ("kubectl create deploy web --image=nginx", ("create", "deployment")),
        ("kubectl create ns dev", ("create", "namespace")),
        ("kubectl top po", ("top", "pod")),
        ("kubectl config use ctx", ("config", "use-context")),
        ("kubectl -- get pods", ()),
        ("helm ls", ("list",)),
        ("helm --namespace x ls -a", ("list",)),
        ("helm un x", ("uninstall",)),
        ("helm del x", ("uninstall",)),
        ("helm delete x", ("uninstall",)),
        ("helm hist x", ("history",)),
        ("helm dep ls", ("dependency", "list")),
        ("helm fetch x", ("pull",)),
        ("helm inspect values x", ("show", "values")),
        ("helm plugin add x", ("plugin", "install")),
        ("argocd project list", ("proj", "list")),
        ("argocd --grpc-web app get x", ("app", "get")),
        ("argocd proj role token-list p r", ("proj", "role", "list-tokens")),
        ("argocd account whoami", ("account", "get-user-info")),
        ("istioctl x precheck", ("experimental", "precheck")),
        ("istioctl exp des pod p", ("experimental", "describe", "pod")),
        ("istioctl pc cluster pod-1", ("proxy-config", "cluster")),
        ("istioctl ps", ("proxy-status",)),
        ("istioctl -n x analyze", ("analyze",)),
        ("istioctl -i istio-system zc svc", ("ztunnel-config", "service")),
    ],
)
def test_verb_is_found_past_global_flags_and_aliases(line: str, verb: tuple[str, ...]) -> None:
    assert parse(line).verb == verb


def test_global_flags_before_the_verb_are_kept_and_moved_after_it() -> None:
    command = parse("kubectl -n x --v=2 delete pod y")
    assert command == CliCommand(
        "kubectl", ("delete",), (Flag("namespace", "x"), Flag("v", "2")), ("pod", "y")
    )
    assert command.argv() == ["kubectl", "delete", "--namespace=x", "--v=2", "pod", "y"]


def test_a_subcommand_flag_before_the_verb_hides_it_as_it_does_for_kubectl() -> None:
    # cobra takes the unknown -A at the root as a flag with a value ("get"); kubectl then
    # refuses with "flags cannot be placed before plugin name: -A".
    assert "unknown flag -A for `kubectl`" in refused("kubectl -A get pods").message


def test_find_skips_a_cluster_even_when_it_ends_in_a_flag_that_takes_a_value() -> None:
    # -An ends in -n, which takes "restart" as its value when parsed, but cobra's Find only
    # skips the next word after a two-character flag: kubectl v1.35 answers
    # "unknown shorthand flag: 'A' in -An" from `rollout restart`, and so does the parser.
    message = refused("kubectl rollout -An restart deploy/x").message
    assert "unknown flag -A (in -An) for `kubectl rollout restart`" in message


def test_a_flag_value_that_names_a_verb_is_not_the_verb() -> None:
    command = parse("kubectl -n get pods")
    assert command.verb == ()
    assert command.flags == (Flag("namespace", "get"),)
    assert command.args == ("pods",)
    command = parse("kubectl --namespace get get pods")
    assert (command.verb, command.flags, command.args) == (
        ("get",),
        (Flag("namespace", "get"),),
        ("pods",),
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "-n x",
        "-nx",
        "-n=x",
        "--namespace x",
        "--namespace=x",
        "-n 'x'",
        '--namespace="x"',
        '--name"space"=x',
    ],
)
def test_every_spelling_of_namespace_is_one_flag(spelling: str) -> None:
    command = parse(f"kubectl get pods {spelling}")
    assert command.flags == (Flag("namespace", "x"),)
    assert command.argv() == ["kubectl", "get", "--namespace=x", "pods"]
    before = parse(f"kubectl {spelling} get pods")
    assert before == command


def test_underscores_are_dashes_for_kubectl_only() -> None:
    assert parse("kubectl get pods --all_namespaces").flags == (Flag("all-namespaces", None),)
    assert parse("kubectl get pods --show_labels=true").flags == (Flag("show-labels", "true"),)
    assert "unknown flag --namespace_ for `kubectl get`" in (
        refused("kubectl get pods --namespace_=x").message
    )
    # kubectl maps `_` to `-`; it does not drop it
    assert "unknown flag --name_space" in refused("kubectl get pods --name_space=x").message
    # helm does not normalize at all
    assert "unknown flag --all_namespaces for `helm list`" in (
        refused("helm list --all_namespaces").message
    )


def test_repeated_flags_keep_every_value_in_order() -> None:
    command = parse("kubectl get pods -n a --namespace=b -nc")
    assert command.values("namespace") == ["a", "b", "c"]
    assert command.value("namespace") == "c"
    assert command.argv() == [
        "kubectl",
        "get",
        "--namespace=a",
        "--namespace=b",
        "--namespace=c",
        "pods",
    ]


@pytest.mark.parametrize(
    ("line", "flags", "args"),
    [
        ("kubectl exec -it web -- sh", (Flag("stdin", None), Flag("tty", None)), ("web",)),
        (
            "kubectl get pods -As https://127.0.0.1:1",
            (Flag("all-namespaces", None), Flag("server", "https://127.0.0.1:1")),
            ("pods",),
        ),
        (
            "kubectl get pods -Ashttps://x",
            (Flag("all-namespaces", None), Flag("server", "https://x")),
            ("pods",),
        ),
        (
            "kubectl get pods -Anx",
            (Flag("all-namespaces", None), Flag("namespace", "x")),
            ("pods",),
        ),
        ("kubectl get pods -A=false", (Flag("all-namespaces", "false"),), ("pods",)),
        (
            "kubectl exec -it=true web",
            (Flag("stdin", None), Flag("tty", "true")),
            ("web",),
        ),
        ("kubectl get pods -n==x", (Flag("namespace", "=x"),), ("pods",)),
        # pflag: `-n=` is -n with the attached value "=" (only `-n=x` strips the `=`)
        ("kubectl get pods -n=", (Flag("namespace", "="),), ("pods",)),
        ("kubectl get pods -n ''", (Flag("namespace", ""),), ("pods",)),
        ("kubectl get pods -n -x", (Flag("namespace", "-x"),), ("pods",)),
        ("kubectl get pods - ''", (), ("pods", "-", "")),
        (
            "helm list -aAq",
            (Flag("all", None), Flag("all-namespaces", None), Flag("short", None)),
            (),
        ),
    ],
)
def test_short_flags_and_clusters(
    line: str, flags: tuple[Flag, ...], args: tuple[str, ...]
) -> None:
    command = parse(line)
    assert (command.flags, command.args) == (flags, args)


def test_words_after_double_dash_pass_through_untouched() -> None:
    command = parse("kubectl exec web -c app -- ls -la --server=x")
    assert command.flags == (Flag("container", "app"),)
    assert command.args == ("web",)
    assert command.passthrough == ("ls", "-la", "--server=x")
    assert command.argv() == [
        "kubectl",
        "exec",
        "--container=app",
        "web",
        "--",
        "ls",
        "-la",
        "--server=x",
    ]
    assert parse("kubectl exec web --").passthrough == ()
    assert parse("kubectl exec web").passthrough is None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("kubectl get pods --foo", "unknown flag --foo for `kubectl get`"),
        ("kubectl get pods --foo=bar", "unknown flag --foo for `kubectl get`"),
        ("kubectl get pods -Z", "unknown flag -Z for `kubectl get`"),
        ("kubectl get pods -AZ", "unknown flag -Z (in -AZ) for `kubectl get`"),
        # pflag has no prefix matching
        ("kubectl get pods --nam=x", "unknown flag --nam"),
        # a flag of another subcommand
        ("kubectl get pods --follow", "unknown flag --follow for `kubectl get`"),
        ("kubectl logs web --show-labels", "unknown flag --show-labels for `kubectl logs`"),
        ("helm list --foo", "unknown flag --foo for `helm list`"),
        ("helm status x -A", "unknown flag -A for `helm status`"),
        ("argocd app list --foo", "unknown flag --foo for `argocd app list`"),
        ("argocd app list -Z", "unknown flag -Z for `argocd app list`"),
        ("istioctl proxy-config cluster p --foo=1", "unknown flag --foo for `istioctl"),
        ("kubectl get pods ---x", "bad flag syntax: ---x"),
        ("kubectl get pods --=x", "bad flag syntax: --=x"),
        ("kubectl get pods -n", "flag needs an argument: -n in -n"),
        ("kubectl get pods --namespace", "flag needs an argument: --namespace"),
        ("kubectl get pods -An", "flag needs an argument: -n in -An"),
    ],
)
def test_unknown_and_malformed_flags_are_refused(line: str, fragment: str) -> None:
    assert fragment in refused(line).message


def test_unknown_flag_message_says_how_to_list_the_flags() -> None:
    message = refused("kubectl rollout restart deploy/x --foo").message
    assert message == (
        "unknown flag --foo for `kubectl rollout restart`; describe_kubectl with "
        "{'command': 'rollout restart'} lists the flags it accepts"
    )


def test_istioctl_and_argocd_flags_parse_as_the_programs_do() -> None:
    # Their specs are complete (generated from the real binaries): a switch takes no value, a
    # flag with a value takes the next word, and shorthands are known.
    command = parse("argocd app get web --refresh --show-params")
    assert command.flags == (Flag("refresh", None), Flag("show-params", None))
    assert command.args == ("web",)
    command = parse("argocd app list -o json -p default")
    assert command.flags == (Flag("output", "json"), Flag("project", "default"))
    command = parse("istioctl proxy-config cluster p --port 15000")
    assert command.flags == (Flag("port", "15000"),)
    assert command.args == ("p",)
    assert parse("istioctl -n web ps").flags == (Flag("namespace", "web"),)
    assert parse("istioctl ps -c /k").flags == (Flag("kubeconfig", "/k"),)


def test_partial_specs_need_the_explicit_form_for_unknown_flags() -> None:
    # No shipped spec is partial any more; a spec that lists only some flags (complete:
    # false) cannot tell an unknown flag's value from the next positional argument.
    raw = json.loads(
        resources.files("kube_ai_proxy").joinpath("specs", "argocd.json").read_text("utf-8")
    )
    for command in raw["commands"]:
        command["flags"] = [f for f in command["flags"] if f["name"] != "refresh"]
    partial = build_spec({**raw, "complete": False})
    with pytest.raises(CommandError) as caught:
        parse_command(partial, ["app", "get", "web", "--refresh"])
    message = caught.value.message
    assert "write --refresh=VALUE (or --refresh=true for a switch)" in message
    assert "argocd app get" in message
    command = parse_command(partial, ["app", "get", "web", "--refresh=true", "--show-params"])
    assert command.flags == (Flag("refresh", "true"), Flag("show-params", None))
    assert command.args == ("web",)


@pytest.mark.parametrize(
    ("line", "flags", "args"),
    [
        ("kubectl apply --dry-run -f -", (Flag("dry-run", None), Flag("filename", "-")), ()),
        (
            "kubectl apply --dry-run=server -f -",
            (Flag("dry-run", "server"), Flag("filename", "-")),
            (),
        ),
        # `--validate false`: false is a positional, as for kubectl itself
        (
            "kubectl apply --validate false -f -",
            (Flag("validate", None), Flag("filename", "-")),
            ("false",),
        ),
        (
            "kubectl delete pod x --cascade orphan",
            (Flag("cascade", None),),
            ("pod", "x", "orphan"),
        ),
        ("helm install --dry-run server x", (Flag("dry-run", None),), ("server", "x")),
        ("helm install --dry-run=server x c", (Flag("dry-run", "server"),), ("x", "c")),
        ("kubectl get pods --watch web", (Flag("watch", None),), ("pods", "web")),
    ],
)
def test_flags_with_a_no_option_default_do_not_take_the_next_word(
    line: str, flags: tuple[Flag, ...], args: tuple[str, ...]
) -> None:
    command = parse(line)
    assert (command.flags, command.args) == (flags, args)


def test_a_no_option_default_flag_before_the_verb_does_not_hide_it() -> None:
    assert parse("kubectl --warnings-as-errors get pods").verb == ("get",)
    assert parse("helm --debug ls").verb == ("list",)


def test_normalized_argv_for_the_documented_example() -> None:
    command = parse("kubectl -nkube-system get po -o=wide --show-labels")
    assert command.argv() == [
        "kubectl",
        "get",
        "--namespace=kube-system",
        "--output=wide",
        "--show-labels",
        "po",
    ]
    assert command.verb_text == "kubectl get"
    assert command.bool_flag("show-labels") is True
    assert parse("kubectl get po --show-labels=false").bool_flag("show-labels") is False


# --- property: parse -> argv -> parse is a fixed point, and the parse is the generated one -----

NAME_CHARS = "abcxyz0189-./:_"
VALUE = st.text(st.sampled_from(NAME_CHARS + "=,- "), max_size=6)


def spellings(tool: Tool, flag: FlagSpec, value: str | None) -> list[list[str]]:
    """Every way to write `flag` with `value` that pflag reads back as exactly that value."""
    names = [flag.name]
    if SPECS[tool].normalize_underscores and "-" in flag.name:
        names.append(flag.name.replace("-", "_"))
    forms: list[list[str]] = []
    for name in names:
        forms.append([f"--{name}"] if value is None else [f"--{name}={value}"])
        if flag.takes_value and value is not None:
            forms.append([f"--{name}", value])
    if flag.short:
        short = f"-{flag.short}"
        if value is None:
            forms.append([short])
        elif value:  # `-n=` would be the value "=", and `-A=` is not a flag at all
            forms.append([f"{short}={value}"])
        if flag.takes_value and value is not None:
            forms.append([short, value])
            if value and not value.startswith("="):
                forms.append([short + value])
    return forms


@st.composite
def flag_uses(draw: st.DrawFn, tool: Tool, flags: dict[str, FlagSpec]) -> tuple[list[str], Flag]:
    flag = draw(st.sampled_from(sorted(flags.values(), key=lambda f: f.name)))
    if flag.takes_value:
        value: str | None = draw(VALUE)
    else:
        value = draw(st.one_of(st.none(), st.sampled_from(["true", "false", "server", ""])))
    form = draw(st.sampled_from(spellings(tool, flag, value)))
    return form, Flag(flag.name, value)


def _nodes(tool: Tool) -> list[CommandNode]:
    return [n for n in SPECS[tool].root.walk() if n.path]


@st.composite
def generated_commands(draw: st.DrawFn) -> tuple[Tool, list[str], CliCommand]:
    """A command line for a random kubectl or helm subcommand, and the parse it must have."""
    tool: Tool = draw(st.sampled_from(["kubectl", "helm"]))
    spec = SPECS[tool]
    node = draw(st.sampled_from(_nodes(tool)))
    verb_words: list[str] = []
    walk = spec.root
    for name in node.path:
        child = walk.children[name]
        verb_words.append(draw(st.sampled_from([name, *child.aliases])))
        walk = child
    # Before the verb only the root's persistent flags can stand, and only those the subcommand
    # does not shadow with its own (`config set-cluster --server` has no -s).
    persistent = {
        n: f for n, f in spec.root.flags.items() if f.persistent and node.flags.get(n) is f
    }
    before = draw(st.lists(flag_uses(tool, persistent), max_size=2)) if persistent else []
    after = draw(st.lists(flag_uses(tool, node.flags), max_size=4))
    positional = st.text(st.sampled_from(NAME_CHARS), max_size=5).filter(
        lambda w: w not in node.children and not (len(w) > 1 and w.startswith("-"))
    )
    args = draw(st.lists(positional, max_size=3))
    units: list[tuple[list[str], Flag | None]] = [
        *((form, flag) for form, flag in after),
        *(([a], None) for a in args),
    ]
    units = draw(st.permutations(units))
    passthrough = draw(st.one_of(st.none(), st.lists(VALUE, max_size=3)))
    words = [w for form, _ in before for w in form] + verb_words
    words += [w for form, _ in units for w in form]
    if passthrough is not None:
        words += ["--", *passthrough]
    expected = CliCommand(
        tool=tool,
        verb=node.path,
        flags=(*(f for _, f in before), *(f for _, f in units if f is not None)),
        args=tuple(a for form, f in units if f is None for a in form),
        passthrough=tuple(passthrough) if passthrough is not None else None,
    )
    return tool, words, expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_commands())
def test_generated_commands_parse_as_generated_and_argv_reparses_the_same(
    case: tuple[Tool, list[str], CliCommand],
) -> None:
    tool, words, expected = case
    command = parse_command(SPECS[tool], words)
    assert command == expected
    argv = command.argv()
    assert argv[0] == tool
    assert parse_command(SPECS[tool], argv[1:]) == command
    # Every flag is in its one long form, so the argv has no short flag and no `--x value`.
    flag_words = argv[1 + len(command.verb) : 1 + len(command.verb) + len(command.flags)]
    assert all(w.startswith("--") for w in flag_words)


@pytest.mark.parametrize(
    "line",
    [
        "kubectl -nkube-system get po -o=wide --show-labels",
        "kubectl exec -it web -c app -- sh -c 'echo hi'",
        "kubectl get pods -l 'app in (a,b)' -o jsonpath='{.items[*].metadata.name}'",
        "kubectl rollout --namespace x restart deploy/web",
        "helm --namespace x ls -aq",
        "helm upgrade -i web repo/web --set a=b,c=d --set-string e=f",
        "argocd app sync web --prune=true --grpc-web",
        "istioctl -c /k pc cluster web",
        "kubectl get pods - ''",
    ],
)
def test_argv_reparses_to_the_same_command(line: str) -> None:
    command = parse(line)
    argv = command.argv()
    assert parse_command(SPECS[command.tool], argv[1:]) == command
