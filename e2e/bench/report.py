"""Results -> tables (printed, and written into docs/benchmarks.md), targets, the plot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from e2e.bench.measure import Load, Series, percentile
from e2e.bench.scenarios import CLI_FLAG, PEER_NOTES, SCENARIOS, Scenario

LABELS = {
    "floor": "floor (httpx GET)",
    "kubectl": "kubectl",
    "ours-stdio": "kube-ai-proxy, stdio",
    "ours-http": "kube-ai-proxy, HTTP",
    "kms": "kubernetes-mcp-server",
    "msk": "mcp-server-kubernetes",
}
SUBJECTS = ("floor", "kubectl", "ours-stdio", "ours-http", "kms", "msk")


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    ms = value * 1000
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return f"{r:.2f}" if r < 10 else f"{r:.0f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class View:
    """Read access to one run's results."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.sizes = [int(s) for s in results["sizes"]]

    def series(self, size: int, subject: str, scenario: str) -> Series | None:
        raw = self.results["sizes"][str(size)]["series"].get(f"{subject}|{scenario}")
        return Series.from_json(raw) if raw else None

    def p(self, size: int, subject: str, scenario: str, q: float = 50) -> float | None:
        found = self.series(size, subject, scenario)
        return found.percentile(q) if found else None

    def load(self, size: int, subject: str, scenario: str, level: int) -> Load | None:
        raw = self.results["sizes"][str(size)]["loads"].get(f"{subject}|{scenario}|{level}")
        return Load.from_json(raw) if raw else None

    def floor_of(self, size: int, scenario: Scenario) -> float | None:
        # The CLI-path row asks the same question as `get`: its floor is get's.
        key = "get" if scenario.key == "get-cli" else scenario.key
        return self.p(size, "floor", key)

    def kubectl_of(self, size: int, scenario: Scenario) -> float | None:
        key = "get" if scenario.key == "get-cli" else scenario.key
        return self.p(size, "kubectl", key)

    def rss(self, size: int, subject: str, concurrent: bool = False) -> float | None:
        table = self.results["sizes"][str(size)].get("rss_concurrent" if concurrent else "rss")
        value = (table or {}).get(subject)
        return float(value) if value is not None else None

    def rss_fresh(self, size: int) -> float | None:
        """A new stdio server's peak over sequential calls (absent from older raw figures)."""
        value = self.results["sizes"][str(size)].get("rss_fresh")
        return float(value) if value is not None else None

    @property
    def levels(self) -> list[int]:
        return list(self.results["meta"]["plan"]["concurrency"])


def medians_table(view: View, size: int) -> str:
    header = [
        "command",
        "floor",
        "kubectl",
        "ours stdio",
        "ours HTTP",
        "ours ÷ floor",
        "CLI path ÷ ours",
        "k-m-s (Go)",
        "ours ÷ k-m-s",
        "m-s-k",
        "ours ÷ m-s-k",
    ]
    rows = []
    cli = view.p(size, "ours-stdio", "get-cli")
    for scenario in SCENARIOS:
        ours = view.p(size, "ours-stdio", scenario.key)
        ours_http = view.p(size, "ours-http", scenario.key)
        floor = view.floor_of(size, scenario)
        row = [
            f"`{scenario.title}`",
            _ms(floor),
            _ms(view.kubectl_of(size, scenario)),
            _ms(ours),
            _ms(ours_http),
            f"{_ratio(ours, floor)} / {_ratio(ours_http, floor)}" if floor else "-",
            _ratio(cli, ours) if scenario.key in ("get", "get-cli") else "-",
        ]
        for peer in ("kms", "msk"):
            call = scenario.peers.get(peer)
            peer_p50 = view.p(size, peer, scenario.key)
            mark = "" if call is None or call.same else " ≈"
            row += [
                _ms(peer_p50) + (f" `{call.tool}`" if call and peer_p50 is not None else ""),
                _ratio(ours, peer_p50) + (mark if peer_p50 is not None else ""),
            ]
        rows.append(row)
    return _table(header, rows)


def distribution_table(view: View, size: int) -> str:
    levels = view.levels
    header = [
        "command",
        "subject",
        "n",
        "p50",
        "p95",
        "p99",
        "calls/s x1",
        *(f"calls/s x{level}" for level in levels),
        "errors",
        "backend / output",
    ]
    rows = []
    for scenario in SCENARIOS:
        for subject in SUBJECTS:
            found = view.series(size, subject, scenario.key)
            if found is None:
                continue
            errors = found.errors
            rates = []
            for level in levels:
                load = view.load(size, subject, scenario.key, level)
                if load is None:
                    rates.append("")
                    continue
                errors += load.errors
                rates.append(f"{load.throughput:.1f}" if load.throughput else "-")
            rows.append(
                [
                    f"`{scenario.title}`",
                    LABELS[subject],
                    str(found.count),
                    _ms(found.percentile(50)),
                    _ms(found.percentile(95)),
                    _ms(found.percentile(99)),
                    f"{found.throughput:.1f}" if found.throughput else "-",
                    *rates,
                    str(errors),
                    _answer_note(found),
                ]
            )
    return _table(header, rows)


def _answer_note(series: Series) -> str:
    first = series.first
    parts = []
    if first.get("backend"):
        parts.append(str(first["backend"]))
    if "output_chars" in first:
        parts.append(f"{first['output_chars']:,} chars")
    elif "bytes" in first:
        parts.append(f"{first['bytes']:,} B")
    if first.get("truncated"):
        parts.append("truncated")
    if series.error_sample and not series.latencies:
        parts.append(series.error_sample[:80].replace("|", "/").replace("\n", " "))
    return ", ".join(parts)


def rss_table(view: View) -> str:
    levels = "/".join(str(level) for level in view.levels)
    header = [
        "server",
        *(f"{size:,} pods" for size in view.sizes),
        *(f"{size:,} pods, {levels} at once" for size in view.sizes),
    ]
    soak = view.results.get("soak")
    if soak:
        header.append(f"soak ({soak['concurrency']} HTTP clients)")
    rows = []
    fresh = [view.rss_fresh(size) for size in view.sizes]
    if any(v is not None for v in fresh):
        rows.append(
            [
                "kube-ai-proxy, stdio, a new server",
                *(f"{v:.0f} MB" if v is not None else "-" for v in fresh),
                *("" for _ in view.sizes),
                *([""] if soak else []),
            ]
        )
    for subject in ("ours-stdio", "ours-http", "kms", "msk"):
        values = [view.rss(size, subject) for size in view.sizes]
        loaded = [view.rss(size, subject, concurrent=True) for size in view.sizes]
        if all(v is None for v in values):
            continue
        row = [
            LABELS[subject],
            *(f"{v:.0f} MB" if v is not None else "-" for v in [*values, *loaded]),
        ]
        if soak:
            row.append(f"{soak['rss']:.0f} MB" if subject == "ours-http" and soak["rss"] else "")
        rows.append(row)
    return _table(header, rows)


def cold_table(view: View) -> str:
    rows = []
    cold = view.results["cold_start"]
    for subject, values in cold["tools_list"].items():
        first = cold["first_call"][subject]
        rows.append(
            [
                LABELS.get(subject, subject),
                f"{percentile(values, 50) or 0:.2f} s",
                f"{min(values):.2f} s",
                f"{max(values):.2f} s",
                _ms(percentile(first, 50)),
                str(len(values)),
            ]
        )
    return _table(
        ["server", "median", "min", "max", "then the first `get pods` (ms, median)", "runs"], rows
    )


def soak_table(view: View) -> str:
    soak = view.results.get("soak")
    if not soak:
        return "(not run)"
    load = Load.from_json({k: v for k, v in soak.items() if k not in ("rss", "size")})
    return _table(
        ["clients", "pods", "seconds", "calls", "calls/s", "errors", "p50", "p99", "peak RSS"],
        [
            [
                str(load.concurrency),
                f"{soak['size']:,}",
                f"{load.elapsed:.0f}",
                f"{load.calls:,}",
                f"{load.throughput or 0:.1f}",
                str(load.errors) + (f" ({load.error_sample})" if load.errors else ""),
                _ms(percentile(load.latencies, 50)),
                _ms(percentile(load.latencies, 99)),
                f"{soak['rss']:.0f} MB" if soak.get("rss") else "-",
            ]
        ],
    )


# --- targets -----------------------------------------------------------------------------


def targets(view: View) -> list[tuple[str, str, str]]:
    """(target, measured, status) for each target of the issue."""
    found: list[tuple[str, str, str]] = []
    get = next(s for s in SCENARIOS if s.key == "get")
    small, big = min(view.sizes), max(view.sizes)

    def status(ok: bool | None) -> str:
        return "n/a" if ok is None else ("**met**" if ok else "**missed**")

    ratios = {
        t: _div(view.p(small, t, "get"), view.floor_of(small, get))
        for t in ("ours-stdio", "ours-http")
    }
    found.append(
        (
            f"get pods, {small:,} pods, native: p50 within 2x of the floor",
            f"stdio {_x(ratios['ours-stdio'])}, HTTP {_x(ratios['ours-http'])} of the floor "
            f"({_ms(view.floor_of(small, get))} ms)",
            _both(ratios, lambda r: r <= 2),
        )
    )
    speedups = {
        t: _div(view.p(small, t, "get-cli"), view.p(small, t, "get"))
        for t in ("ours-stdio", "ours-http")
    }
    found.append(
        (
            f"get pods, {small:,} pods: native at least 20x faster than the CLI path",
            f"stdio {_x(speedups['ours-stdio'])}, HTTP {_x(speedups['ours-http'])} faster",
            _both(speedups, lambda r: r >= 20),
        )
    )
    if big >= 10000:
        budget = view.results["meta"]["budget"]
        answers = [view.series(big, t, "get") for t in ("ours-stdio", "ours-http")]
        within = [
            a is not None and a.first.get("output_chars", budget + 1) <= budget for a in answers
        ]
        first = answers[0].first if answers[0] else {}
        found.append(
            (
                f"get pods, {big:,} pods: answer within the output budget ({budget:,} chars)",
                f"{first.get('output_chars', '?'):,} chars"
                + (", truncated with a hint to narrow" if first.get("truncated") else ""),
                status(all(within)),
            )
        )
        rss = {t: view.rss(big, t) for t in ("ours-stdio", "ours-http")}
        loaded = {t: view.rss(big, t, concurrent=True) for t in ("ours-stdio", "ours-http")}
        fresh = view.rss_fresh(big)

        def _listed(values: dict[str, float | None]) -> str:
            return ", ".join(
                f"{'stdio' if t == 'ours-stdio' else 'HTTP'} {v:.0f} MB"
                for t, v in values.items()
                if v is not None
            )

        found.append(
            (
                f"{big:,} pods: server peak RSS at most 200 MB (sequential calls)",
                (f"a new server: {fresh:.0f} MB; " if fresh is not None else "")
                + "the run's long-lived servers, after their concurrent phases: "
                + _listed(rss)
                + "; with "
                + "/".join(str(level) for level in view.levels)
                + " calls at once: "
                + _listed(loaded),
                status(fresh <= 200) if fresh is not None else _both(rss, lambda r: r <= 200),
            )
        )
        big_ratios = {
            t: _div(view.p(big, t, "get"), view.floor_of(big, get))
            for t in ("ours-stdio", "ours-http")
        }
        found.append(
            (
                f"get pods, {big:,} pods: time within 2x of the floor",
                f"stdio {_x(big_ratios['ours-stdio'])}, HTTP {_x(big_ratios['ours-http'])} "
                f"of the floor ({_ms(view.floor_of(big, get))} ms)",
                _both(big_ratios, lambda r: r <= 2),
            )
        )
    soak = view.results.get("soak")
    if soak:
        found.append(
            (
                f"{soak['concurrency']} concurrent HTTP clients for "
                f"{view.results['meta']['plan']['soak_seconds']:.0f} s: no errors",
                f"{soak['calls']:,} calls, {soak['calls'] / soak['elapsed']:.1f} calls/s, "
                f"{soak['errors']} errors",
                status(soak["errors"] == 0),
            )
        )
    cold = view.results["cold_start"]["tools_list"].get("ours-stdio") or []
    cold_p50 = percentile(cold, 50)
    found.append(
        (
            "cold start to tools/list at most 1.5 s",
            f"median {cold_p50:.2f} s over {len(cold)} starts" if cold_p50 else "-",
            status(cold_p50 <= 1.5 if cold_p50 is not None else None),
        )
    )
    compared, behind = [], []
    for size in view.sizes:
        for scenario in SCENARIOS:
            call = scenario.peers.get("kms")
            peer = view.p(size, "kms", scenario.key)
            ours = view.p(size, "ours-stdio", scenario.key)
            if call is None or not call.same or peer is None or ours is None:
                continue
            compared.append(scenario.key)
            if ours > peer:
                behind.append(f"{scenario.title} at {size:,} ({_ms(ours)} vs {_ms(peer)} ms)")
    found.append(
        (
            "at least as fast as kubernetes-mcp-server on the same calls, p50 (stdio)",
            f"{len(compared) - len(behind)} of {len(compared)} calls"
            + (f"; slower: {'; '.join(behind)}" if behind else ""),
            status(not behind if compared else None),
        )
    )
    return found


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def _both(values: dict[str, float | None], ok: Callable[[float], bool]) -> str:
    checked = {k: ok(v) for k, v in values.items() if v is not None}
    if not checked:
        return "n/a"
    if all(checked.values()):
        return "**met**"
    if not any(checked.values()):
        return "**missed**"
    return ", ".join(
        f"**{'met' if v else 'missed'}** ({'stdio' if k == 'ours-stdio' else 'HTTP'})"
        for k, v in checked.items()
    )


def targets_table(view: View) -> str:
    return _table(["target", "measured", "status"], [list(t) for t in targets(view)])


# --- text --------------------------------------------------------------------------------


def tables(view: View) -> str:
    """What the benchmark prints: the same tables the report carries."""
    parts = ["## Targets", "", targets_table(view), ""]
    for size in view.sizes:
        parts += [f"## Medians (ms) and ratios, {size:,} pods", "", medians_table(view, size), ""]
    for size in view.sizes:
        parts += [
            f"## Latency (ms) and throughput, {size:,} pods",
            "",
            distribution_table(view, size),
            "",
        ]
    parts += ["## Peak RSS", "", rss_table(view), ""]
    parts += ["## Cold start (process start to the first tools/list answer)", "", cold_table(view)]
    parts += ["", "## Concurrent HTTP clients", "", soak_table(view), ""]
    pre = Series.from_json(view.results["preflight"])
    parts += [
        "## RBAC pre-flight",
        "",
        f"One SelfSubjectAccessReview (the pre-flight's request), p50 {_ms(pre.percentile(50))} ms"
        f" over {pre.count} calls on the floor's client. kube-ai-proxy caches each decision for "
        "10 s, so a series of the same command pays it about once per 10 s, and it does not "
        "show in the medians above.",
        "",
    ]
    if view.results.get("notes"):
        parts += ["## Notes from this run", "", *(f"- {n}" for n in view.results["notes"]), ""]
    return "\n".join(parts)


def machine_text(view: View) -> str:
    meta = view.results["meta"]
    load_before = ", ".join(f"{v:.2f}" for v in meta["load_before"])
    load_after = ", ".join(f"{v:.2f}" for v in meta.get("load_after", []))
    return "\n".join(
        [
            f"- CPU: {meta['cpu']}, {meta['cores']} cores; memory {meta['memory']}",
            f"- OS: {meta['os']}",
            f"- Python {meta['python']}, fastmcp {meta['fastmcp']}, node {meta['node']}",
            f"- Kubernetes {meta['kubernetes']} (local control plane: kube-apiserver, etcd and "
            f"kwok built from source by the e2e harness, backend `{meta['cluster']}`), all "
            "traffic on loopback",
            f"- kube-ai-proxy {meta['kube_ai_proxy']} (source: {meta.get('source', '?')}), "
            "kubernetes-mcp-server "
            f"{meta['kms_version']}, mcp-server-kubernetes {meta['msk_version']}",
            f"- run: {meta['started']} to {meta.get('finished', '?')} (UTC); load average "
            f"(1, 5, 15 min) {load_before} before, {load_after} after",
        ]
    )


def markdown(view: View, plot_name: str | None) -> str:
    plan = view.results["meta"]["plan"]
    peer_notes = "\n".join(f"- {note}" for note in PEER_NOTES.values())
    plot = (
        f"![Latency distributions]({plot_name})\n\nLatency of each call (log scale), per "
        "namespace size; boxes span the 25th to 75th percentile, whiskers the 5th to 95th."
        if plot_name
        else "(no plot: matplotlib is not installed; `make bench` installs it)"
    )
    sizes = ", ".join(f"{size:,}" for size in view.sizes)
    return f"""# Benchmarks

How fast kube-ai-proxy answers, against the floor (the same API requests sent by a plain HTTP
client), kubectl run directly, and two peer MCP servers, on a local control plane with
{sizes} kwok pods in one namespace. Every figure on this page comes from one run of
`make bench` on the machine described below; the benchmark prints the same tables.

{tables(view)}
## Plot

{plot}

## Machine

{machine_text(view)}

## How to reproduce

```
make bench            # installs what it needs, starts the cluster if none runs, writes this page
.venv/bin/python -m e2e.bench --help      # sizes, durations, --quick, --report-only
```

`make bench` installs the `bench` extra (matplotlib, locked in requirements-bench.lock) and the
peers (`npm install` from the lock in e2e/bench), builds and starts the local control plane if
it does not run (and stops it at the end only then), grows namespace `bench` to each size, runs
everything, empties the namespace, and writes docs/benchmarks.md, docs/benchmarks.png and the
raw figures (build/bench/results.json; `--report-only` renders a page from them again). It
takes about half an hour on 2 cores. Other heavy work running at the same time (builds, test
suites) skews the figures; it shows in the load average above.

## What the profile pointed at, and what changed

Profiled with pyinstrument (`python -m e2e.bench.profile "kubectl get pods -n bench"`) and
py-spy on the running server:

- **Start-up**: importing kubernetes-asyncio (every API and model class) was about a third of
  the time to the first tools/list answer, and 40 MB of RSS. It is imported on first use now,
  and loaded in the background once a client has listed the tools, so neither tools/list nor,
  usually, the first call waits for it (the cold-start table times both).
- **Per request**: kubernetes-asyncio's aiohttp session trusted the environment, so every API
  request looked up ~/.netrc and the proxy variables in worker threads (two thread hops per
  request). The proxy is looked up once per client now.
- **Tables**: decoding the API server's Table is the largest single cost of `get`, mostly
  the metadata (managedFields included) it puts in each row; kubectl asks for the same, and
  so does the floor. Asking without it (`includeObject=None`) made `get` of 1,000 pods six
  times faster in a profile, but the rows' `labels` in `data` come from that metadata and
  are part of the tested answer, so it is not done.
- **`-o json|yaml` of long lists**: the whole list was redacted and printed (in Python's
  pure-Python indenting encoder) only to be cut to the budget. Lists are printed only as far
  as the budget reaches, byte for byte what the whole list would print there, and pages of
  objects start at 50 (then 200, then 500) instead of 500.
- Already right, and kept: one API client per context with pooled connections, raw JSON
  dicts (no model objects), discovery cached for 5 minutes, RBAC decisions for 10 s, no
  thread pool per call.

## Method

- **Client.** Every MCP server is driven by the same client, fastmcp's `Client`
  (`call_tool_mcp`: the raw MCP result, no client-side schema handling), from one Python
  process on the same machine; its own CPU time is part of every MCP figure and none of the
  floor's or kubectl's.
- **kube-ai-proxy** runs with its defaults (native backend on, RBAC pre-flight on, output
  budget {view.results["meta"]["budget"]:,} characters), as `python -m kube_ai_proxy.main` over
  stdio and as a streamable-HTTP server (stateless, bearer token) on 127.0.0.1. Concurrency
  over stdio is concurrent requests on the one session; over HTTP each caller is its own
  client and session.
- **The CLI path** is the same command with `{CLI_FLAG}`, a flag the native path does not
  serve, so the real kubectl runs (same server, same settings, same pre-flight).
- **The floor** is the API requests the native path makes, sent by httpx with the
  kubeconfig's client certificate: `GET /api/v1/namespaces/bench/pods?limit=500` (and
  `/api/v1/pods` for `-A`) with the Table Accept header, the JSON one for `-o json` (pages of
  50, then 200, then 500 objects, as the native path asks), following
  `continue` while the native path would (until the output budget is spent); the pod and
  its events for `describe`; the pod and its log (`tailLines=100`) for `logs`.
- **kubectl** is the harness's built kubectl, run once per call with a warm discovery cache.
- **Peers** get the same kubeconfig and the same kubectl on PATH, and are called through
  their own tools (checked against their tools/list when the run starts): kubernetes-mcp-server
  `pods_list_in_namespace`, `pods_list`, `pods_log`, and mcp-server-kubernetes `kubectl_get`,
  `kubectl_describe`, `kubectl_logs`. kubernetes-mcp-server runs as its Go binary from the
  platform package its npm wrapper would spawn. A ratio marked ≈ compares with the peer's
  closest tool rather than the same call:
{peer_notes}
- **Phases.** Per size and command: {plan["floor_calls"]} floor calls or
  {plan["floor_seconds"]:g} s; {plan["kubectl_calls"]} kubectl runs or
  {plan["kubectl_seconds"]:g} s; {plan["mcp_calls"]} MCP calls or {plan["mcp_seconds"]:g} s
  (whichever ends first, at least 3, after 2 warm-up calls); then
  {" and ".join(str(c) for c in plan["concurrency"])} concurrent callers for
  {plan["load_seconds"]:g} s each (calls still running get {plan["drain_seconds"]:g} s, then
  count as errors). Throughput x1 is the sequential phase's calls per second.
- **Peak RSS** is the server process's high-water mark (VmHWM, reset before and read after
  each phase): the highest over the sequential phases of a size, and apart from it the
  highest over its concurrent phases; the kubectl processes the CLI path starts are not
  counted. Those servers run through every size, and Python keeps the memory it freed, so
  their figures carry what earlier concurrent phases needed. The target is therefore read on
  a new stdio server per size that answers each command three times, one call at a time.
- **Pods** are created through the API with `spec.nodeName` set to a kwok node (no
  scheduler), and measured once all are Running. Their log is the harness's (12 lines), so
  `logs --tail=100` returns the whole log.
- **Cold start** is from spawning the server to the answer to the first tools/list, with a
  new process each time (at the first size, before its measurements); the first `get pods`
  call on that new process is timed too, since what is imported lazily is paid there.
"""


# --- plot --------------------------------------------------------------------------------


def plot(view: View, path: Path) -> bool:
    """Box plots of the latency distributions; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows: list[tuple[str, str, str]] = []  # (label, subject, scenario)
    for scenario in SCENARIOS:
        subjects = (
            ("ours-stdio", "ours-http")
            if scenario.key == "get-cli"
            else ("floor", "ours-stdio", "ours-http", "kubectl", "kms", "msk")
        )
        for subject in subjects:
            rows.append((f"{scenario.key}: {LABELS[subject]}", subject, scenario.key))
    sizes = view.sizes
    figure, axes = plt.subplots(
        1, len(sizes), figsize=(5.5 * len(sizes) + 3, 0.32 * len(rows) + 2), sharey=True
    )
    axes_list = list(axes) if len(sizes) > 1 else [axes]
    colors = {
        "floor": "#7f7f7f",
        "ours-stdio": "#1f77b4",
        "ours-http": "#17becf",
        "kubectl": "#ff7f0e",
        "kms": "#2ca02c",
        "msk": "#d62728",
    }
    for axis, size in zip(axes_list, sizes, strict=True):
        data, labels, tints = [], [], []
        for label, subject, key in rows:
            found = view.series(size, subject, key)
            values = [v * 1000 for v in found.latencies] if found else []
            data.append(values or [float("nan")])
            labels.append(label)
            tints.append(colors[subject])
        boxes = axis.boxplot(
            data,
            vert=False,
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
            tick_labels=labels,
        )
        for patch, tint in zip(boxes["boxes"], tints, strict=True):
            patch.set_facecolor(tint)
            patch.set_alpha(0.7)
        axis.set_xscale("log")
        axis.set_xlabel("latency (ms, log scale)")
        axis.set_title(f"{size:,} pods")
        axis.grid(axis="x", which="both", alpha=0.3)
    axes_list[0].invert_yaxis()  # shared: inverting each axis would flip it back and forth
    figure.suptitle("kube-ai-proxy benchmark: latency per call")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True
