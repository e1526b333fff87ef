"""`python -m e2e.harness binaries|up|down|status`, run from the repository root.

binaries           build missing binaries into the cache (etcd, Kubernetes, kwok, helm); or: build.
                   --full: istioctl and argocd too (another 13 min or so, cold), as make e2e does
up                 build, start the cluster (or reuse the running one), print its kubeconfigs
down               delete the cluster and its processes; the binaries stay cached
status             does the cluster run, where are its kubeconfigs (exit 1 when it does not)
bin-dir            print the directory of the built binaries (for PATH)
image              build kube-ai-proxy:dev with Docker: the running engine, else one started
                   (and stopped) here; base images made here when no registry answers
node-image         build kind and its node image here (Docker as for `image`): the control plane's
                   images, containerd, runc, CNI plugins and the kubelet, from their Go modules
e2e-kind [ARGS]    a kind cluster from that image; run `pytest ARGS` against it (default: the
                   tests marked kind); delete it. The Docker engine lives as long as the run
kubeconfig         print the admin kubeconfig's path
viewer-kubeconfig  print the restricted identity's kubeconfig path
"""

from __future__ import annotations

import argparse
import sys

from e2e.harness.binaries import FULL_STEPS, STEPS, ensure_binaries
from e2e.harness.cache import CacheLayout
from e2e.harness.docker import engine
from e2e.harness.errors import HarnessError
from e2e.harness.images import build_image
from e2e.harness.lifecycle import KIND_TESTS, down, run_on_kind, status, up
from e2e.harness.node_image import node_image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.harness",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        choices=[
            "binaries",
            "build",
            "up",
            "down",
            "status",
            "bin-dir",
            "kubeconfig",
            "viewer-kubeconfig",
            "image",
            "node-image",
            "e2e-kind",
        ],
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="binaries/build: also istioctl and argocd (their e2e tests; `make e2e` builds them)",
    )
    argv = sys.argv[1:] if argv is None else argv
    # Everything after e2e-kind is pytest's (its options included), an optional `--` aside.
    pytest_args: list[str] = []
    if argv[:1] == ["e2e-kind"]:
        argv, pytest_args = argv[:1], argv[1:]
        pytest_args = pytest_args[1:] if pytest_args[:1] == ["--"] else pytest_args
    args = parser.parse_args(argv)
    if args.full and args.command not in ("binaries", "build"):
        parser.error("--full goes with binaries (or build)")
    layout = CacheLayout.from_env()
    try:
        if args.command in ("binaries", "build"):
            print(ensure_binaries(layout, FULL_STEPS if args.full else STEPS))
        elif args.command == "up":
            cluster = up(layout)
            print(f"admin kubeconfig:  {cluster.kubeconfig}")
            print(f"viewer kubeconfig: {cluster.viewer_kubeconfig}")
            print(f"export KUBECONFIG={cluster.kubeconfig}")
        elif args.command == "down":
            down(layout)
        elif args.command == "image":
            with engine(layout) as docker:
                build_image(docker, layout)
        elif args.command == "node-image":
            with engine(layout) as docker:
                print(node_image(docker, layout))
        elif args.command == "e2e-kind":
            return run_on_kind(layout, pytest_args or list(KIND_TESTS))
        elif args.command == "bin-dir":
            print(layout.bin_dir)
        elif args.command == "kubeconfig":
            print(layout.kubeconfig)
        elif args.command == "viewer-kubeconfig":
            print(layout.viewer_kubeconfig)
        else:
            running, report = status(layout)
            print(report)
            return 0 if running else 1
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
