"""The layout DESIGN.md describes, held: no import cycles (lazy imports counted), the MCP
libraries only in kube_ai_proxy/mcp/, adapters/ usable without MCP or the server, parse/ pure
(the standard library, errors and itself), judge/ independent of how a command is answered
(native/), asked about (mcp/) or shown (output/), output/ independent of how a command is
answered, judged, asked about or called (call.py), and cli_run.py running what it is given,
whoever judged or called it."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("kube_ai_proxy", "adapters")
MCP_LIBRARIES = ("fastmcp", "fastmcp_tasks", "docket", "mcp", "mcp_types")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imported(path: Path) -> Iterator[str]:
    """Every module name an import statement anywhere in the file names, functions included."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {imported for imported in _imported(path) if imported in modules} - {name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_mcp_package_imports_the_mcp_libraries() -> None:
    offenders = {
        name: sorted(imported for imported in _imported(path) if _top(imported) in MCP_LIBRARIES)
        for name, path in _modules().items()
        if not (name == "kube_ai_proxy.mcp" or name.startswith("kube_ai_proxy.mcp."))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_adapters_know_neither_mcp_nor_the_server() -> None:
    offenders = {
        name: sorted(
            imported
            for imported in _imported(path)
            if _top(imported) in (*MCP_LIBRARIES, "kube_ai_proxy")
        )
        for name, path in _modules().items()
        if _top(name) == "adapters"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_native_contract_is_a_leaf() -> None:
    """Readers import native.base; native.base imports no reader, no router, no MCP."""
    graph = _graph()
    assert {m for m in graph["kube_ai_proxy.native.base"] if m.startswith("kube_ai_proxy")} <= {
        "kube_ai_proxy.parse.command",
        "kube_ai_proxy.result",
    }


def test_gofmt_is_a_leaf() -> None:
    """Go's printing, ported once, is used by every reader; it imports nothing of the server
    but errors.Defer, so no reader's needs can pull it into a cycle."""
    graph = _graph()
    gofmt = {name for name in graph if name.split(".")[:2] == ["kube_ai_proxy", "gofmt"]}
    assert "kube_ai_proxy.gofmt.tabwriter" in gofmt
    outside = {
        name: sorted(
            imported
            for imported in _imported(_modules()[name])
            if _top(imported) == "kube_ai_proxy"
            and imported.split(".")[:2] != ["kube_ai_proxy", "gofmt"]
            and imported not in ("kube_ai_proxy.errors", "kube_ai_proxy.errors.Defer")
        )
        for name in gofmt
    }
    assert {name: found for name, found in outside.items() if found} == {}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _imports_in(package: str) -> dict[str, set[str]]:
    """What each module of `package` imports, by module name."""
    return {
        name: set(_imported(path)) for name, path in _modules().items() if _within(name, package)
    }


def _breaking(
    imports: Mapping[str, Iterable[str]], allowed: Callable[[str], bool]
) -> dict[str, list[str]]:
    """The imports `allowed` refuses, by module; modules that import nothing refused are left
    out."""
    found = {name: sorted(i for i in names if not allowed(i)) for name, names in imports.items()}
    return {name: names for name, names in found.items() if names}


def _parse_may_import(name: str) -> bool:
    # The bare package is what `from kube_ai_proxy import x` also yields; `x` is checked itself.
    return (
        _top(name) in sys.stdlib_module_names
        or name == "kube_ai_proxy"
        or _within(name, "kube_ai_proxy.errors")
        or _within(name, "kube_ai_proxy.parse")
    )


def _judge_may_import(name: str) -> bool:
    return not any(
        _within(name, f"kube_ai_proxy.{package}") for package in ("native", "mcp", "output")
    )


def _output_may_import(name: str) -> bool:
    return not any(
        _within(name, f"kube_ai_proxy.{module}") for module in ("native", "judge", "mcp", "call")
    )


def _cli_run_may_import(name: str) -> bool:
    return not any(
        _within(name, f"kube_ai_proxy.{module}")
        for module in ("native", "judge", "mcp", "call", "backends")
    )


def test_parse_is_pure() -> None:
    """parse/ turns a string into a plan: it knows no settings, no judging, no backend, no
    running, and no third-party library."""
    imports = _imports_in("kube_ai_proxy.parse")
    assert "kube_ai_proxy.parse.plan" in imports
    assert _breaking(imports, _parse_may_import) == {}


def test_judge_knows_neither_answers_nor_mcp_nor_output() -> None:
    imports = _imports_in("kube_ai_proxy.judge")
    assert "kube_ai_proxy.judge.invariants" in imports
    assert _breaking(imports, _judge_may_import) == {}


def test_output_knows_neither_answers_nor_judging_nor_mcp_nor_the_call() -> None:
    """What leaves the server (the budget's cuts, redaction) is shown alike however it was
    answered: native readers and the call import output/, never the other way round."""
    imports = _imports_in("kube_ai_proxy.output")
    assert "kube_ai_proxy.output.budget" in imports
    assert _breaking(imports, _output_may_import) == {}


def test_running_a_program_knows_neither_judging_nor_answers_nor_the_call() -> None:
    """cli_run.py runs a CLI or a pipe stage as it is given; the call, the native readers'
    runner and the help use it, never the other way round."""
    imports = _imports_in("kube_ai_proxy.cli_run")
    assert "kube_ai_proxy.cli_run" in imports
    assert _breaking(imports, _cli_run_may_import) == {}


def _resident_may_import(name: str) -> bool:
    # kube_ai_proxy.main is what a start is handed to, imported when it serves.
    return (
        _top(name) in sys.stdlib_module_names
        or name in ("kube_ai_proxy", "kube_ai_proxy.main", "kube_ai_proxy.main.main")
        or _within(name, "kube_ai_proxy.resident")
    )


def test_a_start_imports_only_the_standard_library_before_it_is_handed_over() -> None:
    """resident/ runs at every stdio start: what it imports, every start pays."""
    imports = _imports_in("kube_ai_proxy.resident")
    assert "kube_ai_proxy.resident.launcher" in imports
    assert _breaking(imports, _resident_may_import) == {}


def test_the_import_rules_name_what_breaks_them() -> None:
    parse = {"kube_ai_proxy.parse.plan": ["re", "kube_ai_proxy.errors", "kube_ai_proxy.config"]}
    assert _breaking({**parse, "kube_ai_proxy.parse.x": ["yaml"]}, _parse_may_import) == {
        "kube_ai_proxy.parse.plan": ["kube_ai_proxy.config"],
        "kube_ai_proxy.parse.x": ["yaml"],
    }
    judge = {"kube_ai_proxy.judge.rbac": ["adapters.kubernetes", "kube_ai_proxy.output.redact"]}
    assert _breaking(judge, _judge_may_import) == {
        "kube_ai_proxy.judge.rbac": ["kube_ai_proxy.output.redact"]
    }
    output = {
        "kube_ai_proxy.output.budget": ["kube_ai_proxy.native.base", "kube_ai_proxy.call"],
        "kube_ai_proxy.output.redact": ["kube_ai_proxy.parse.command", "kube_ai_proxy.callsite"],
    }
    assert _breaking(output, _output_may_import) == {
        "kube_ai_proxy.output.budget": ["kube_ai_proxy.call", "kube_ai_proxy.native.base"]
    }
    cli_run = {"kube_ai_proxy.cli_run": ["adapters.cli", "kube_ai_proxy.judge.scope"]}
    assert _breaking(cli_run, _cli_run_may_import) == {
        "kube_ai_proxy.cli_run": ["kube_ai_proxy.judge.scope"]
    }
