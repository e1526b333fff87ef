"""Record tests/data/helm-recorded.json: what the real helm printed for the native helm reads
of e2e/test_native_helm.py, and the JSON the native path reads for each, from the e2e cluster.

    .venv/bin/python -m tests.data.helm_record     # the cluster is started if it is down

The releases are e2e/test_native_helm.py's (installed when missing). Each case holds the
command, helm's stdout, and the `-o json` command whose answer the native path reads;
`fetched` maps each of those to what helm printed for it.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from e2e.harness import CacheLayout, up
from e2e.test_native_helm import COMMANDS, NAMESPACE, fetch_command, helm, install_releases

OUT = Path(__file__).parent / "helm-recorded.json"


def main() -> int:
    cluster = up(CacheLayout.from_env())
    install_releases(cluster)
    cases = []
    fetched: dict[str, str] = {}
    for template in COMMANDS:
        command = template.format(ns=NAMESPACE)
        words = shlex.split(command)[1:]
        json_command = shlex.join(fetch_command(words))
        output = helm(cluster, *words).stdout
        cases.append({"command": command, "fetch": json_command, "output": output})
        fetched[json_command] = helm(cluster, *shlex.split(json_command)).stdout
    OUT.write_text(json.dumps({"cases": cases, "fetched": fetched}, indent=1) + "\n")
    print(f"{len(cases)} cases, {len(fetched)} answers -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
