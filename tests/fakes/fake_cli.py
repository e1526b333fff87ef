#!/usr/bin/env python3
"""A stand-in for kubectl/helm/istioctl/argocd in the fast tests.

It prints what it was given, as JSON: argv and environment (and stdin when FAKE_CLI_STDIN is
set; only the environment's names when FAKE_CLI_ENV is `names`). FAKE_CLI_MODE changes its
behaviour: `sleep` starts a child and sleeps (for timeout tests), `flood` prints FAKE_CLI_BYTES
bytes, `fail` writes to stderr and exits 3, `payload` prints FAKE_CLI_PAYLOAD as it is (what a
real CLI would print), `slow` works for FAKE_CLI_SECONDS and then succeeds (a sync or an install
that waits), `kubeconfig` prints the file KUBECONFIG names, `help`-style calls print a usage
text. When FAKE_CLI_MARKER names a file, every run appends a line to it first, so a test can
tell that the CLI ran at all.
"""

import json
import os
import signal
import subprocess
import sys
import time

# As the real CLIs (Go programs) do: a write to a pipe nobody reads any more (`| head`) ends the
# program with SIGPIPE instead of a Python traceback.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
mode = os.environ.get("FAKE_CLI_MODE", "echo")
name = os.path.basename(sys.argv[0])

if os.environ.get("FAKE_CLI_MARKER"):
    with open(os.environ["FAKE_CLI_MARKER"], "a") as marker:
        marker.write(json.dumps({"program": name, "argv": sys.argv[1:]}) + "\n")

if "--help" in sys.argv[1:]:
    print(f"Usage: {name} {' '.join(a for a in sys.argv[1:] if a != '--help')} [flags]")
    print("(fake help text)")
elif mode == "sleep":
    child = subprocess.Popen(["sleep", "300"])
    pids = json.dumps({"self": os.getpid(), "child": child.pid})
    if os.environ.get("FAKE_CLI_PIDFILE"):
        with open(os.environ["FAKE_CLI_PIDFILE"], "w") as pidfile:
            pidfile.write(pids)
    print(pids, flush=True)
    time.sleep(300)
elif mode == "flood":
    total = int(os.environ.get("FAKE_CLI_BYTES", "1000000"))
    block = b"x" * 65535 + b"\n"
    out = sys.stdout.buffer
    while total > 0:
        out.write(block[: min(total, len(block))])
        total -= len(block)
    out.flush()
elif mode == "fail":
    print('error: the server doesn\'t have a resource type "podz"', file=sys.stderr)
    sys.exit(3)
elif mode == "payload":
    sys.stdout.write(os.environ.get("FAKE_CLI_PAYLOAD", ""))
elif mode == "slow":
    time.sleep(float(os.environ.get("FAKE_CLI_SECONDS", "5")))
    print("done")
elif mode == "kubeconfig":
    path = os.environ.get("KUBECONFIG", "")
    with open(path) as kubeconfig:
        print(json.dumps({"argv": sys.argv[1:], "path": path, "kubeconfig": kubeconfig.read()}))
elif mode == "warn":
    print("NAME   READY")
    print("Warning: something is deprecated", file=sys.stderr)
else:
    env = dict(os.environ)
    shown = sorted(env) if os.environ.get("FAKE_CLI_ENV") == "names" else env
    report = {"argv": sys.argv[1:], "program": name, "env": shown}
    if os.environ.get("FAKE_CLI_STDIN"):
        report["stdin"] = sys.stdin.read()
    print(json.dumps(report))
