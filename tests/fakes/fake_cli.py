#!/usr/bin/env python3
"""A stand-in for kubectl/helm/istioctl/argocd in the fast tests.

It prints what it was given, as JSON: argv and environment (and stdin when FAKE_CLI_STDIN is
set). FAKE_CLI_MODE changes its behaviour: `sleep` starts a child and sleeps (for timeout
tests), `flood` prints FAKE_CLI_BYTES bytes, `fail` writes to stderr and exits 3, `help`-style
calls print a usage text.
"""

import json
import os
import subprocess
import sys
import time

mode = os.environ.get("FAKE_CLI_MODE", "echo")
name = os.path.basename(sys.argv[0])

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
elif mode == "warn":
    print("NAME   READY")
    print("Warning: something is deprecated", file=sys.stderr)
else:
    report = {"argv": sys.argv[1:], "program": name, "env": dict(os.environ)}
    if os.environ.get("FAKE_CLI_STDIN"):
        report["stdin"] = sys.stdin.read()
    print(json.dumps(report))
