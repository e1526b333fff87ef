"""`python -m e2e.bench`: run the benchmark, print its tables, write docs/benchmarks.md.

Starts the local control plane when none answers (and stops it at the end only then), grows
namespace `bench` to each size, measures kube-ai-proxy, the floor, kubectl and the two peer
servers, and writes the report, the plot and the raw figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from e2e.bench import report
from e2e.bench.run import Plan, load, run, save
from e2e.harness import CacheLayout, HarnessError, down, up
from e2e.harness.lifecycle import answers
from e2e.harness.progress import say

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="100,1000,10000",
        help="pods in the namespace, grown in this order (default: %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run at 100 pods")
    parser.add_argument("--no-peers", action="store_true", help="skip the two peer servers")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--plot", type=Path, default=REPO_ROOT / "docs" / "benchmarks.png")
    parser.add_argument("--raw", type=Path, default=REPO_ROOT / "build" / "bench" / "results.json")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="render the report from the raw figures of an earlier run (--raw), measure nothing",
    )
    parser.add_argument(
        "--soak-seconds", type=float, default=None, help="length of the HTTP soak (default 60)"
    )
    args = parser.parse_args(argv)

    if args.report_only:
        results = load(args.raw)
    else:
        plan = Plan.quick() if args.quick else Plan()
        overrides: dict[str, object] = {"peers": not args.no_peers}
        if not args.quick or args.sizes != parser.get_default("sizes"):
            overrides["sizes"] = tuple(int(s) for s in args.sizes.split(",") if s)
        if args.soak_seconds is not None:
            overrides["soak_seconds"] = args.soak_seconds
        plan = Plan(**(plan.__dict__ | overrides))
        try:
            results = _measure(plan, args.raw.parent)
        except HarnessError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        save(results, args.raw)
        say(f"raw figures: {args.raw}")

    view = report.View(results)
    print(report.tables(view))
    drew = report.plot(view, args.plot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown(view, args.plot.name if drew else None))
    say(f"wrote {args.out}" + (f" and {args.plot}" if drew else " (no plot: no matplotlib)"))
    return 0


def _measure(plan: Plan, work_dir: Path) -> dict[str, object]:
    layout = CacheLayout.from_env()
    started_here = not answers(layout)
    cluster = up(layout)
    try:
        return asyncio.run(run(cluster, plan, work_dir))
    finally:
        if started_here:
            say("stopping the cluster this run started")
            down(layout)


if __name__ == "__main__":
    sys.exit(main())
