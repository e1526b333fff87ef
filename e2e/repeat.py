"""`python -m e2e.repeat N`: the end-to-end suite N times on one cluster, each time in another
shuffled order (pytest-random-order: modules shuffled, and the tests in each module), to show
that no test depends on another's leftovers or on the order it runs in.

Each run's seed is printed with the command that replays that order. The cluster is started
once (or the running one reused) and stopped at the end only if this command started it. The
exit status is 1 if any run failed.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from dataclasses import dataclass

from e2e.harness import CacheLayout, HarnessError, down, up
from e2e.harness.lifecycle import answers


@dataclass(frozen=True)
class Run:
    seed: int
    exit_code: int
    seconds: float

    @property
    def replay(self) -> str:
        return (
            "python -m pytest e2e -p no:cacheprovider --random-order-bucket=module "
            f"--random-order-seed={self.seed}"
        )


def run_suite(seed: int, extra: list[str]) -> Run:
    started = time.monotonic()
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "e2e",
        "-q",
        "-p",
        "no:cacheprovider",
        "--random-order-bucket=module",
        f"--random-order-seed={seed}",
        *extra,
    ]
    exit_code = subprocess.call(argv)
    return Run(seed, exit_code, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.repeat", description=__doc__)
    parser.add_argument("runs", type=int, help="how many times to run the suite")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("runs must be at least 1")
    layout = CacheLayout.from_env()
    started_here = not answers(layout)
    runs: list[Run] = []
    try:
        up(layout)
        for index in range(args.runs):
            seed = random.SystemRandom().randrange(1, 2**31)
            print(f"\n=== e2e run {index + 1} of {args.runs}, seed {seed} ===", flush=True)
            runs.append(run_suite(seed, args.pytest_args))
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if started_here:
            down(layout)
    print("\n=== e2e-repeat summary ===")
    for index, run in enumerate(runs, 1):
        outcome = "passed" if run.exit_code == 0 else f"FAILED (exit {run.exit_code})"
        print(f"run {index}: {outcome} in {run.seconds / 60:.1f} min, seed {run.seed}")
        if run.exit_code != 0:
            print(f"  replay this order: {run.replay}")
    return 0 if all(run.exit_code == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
