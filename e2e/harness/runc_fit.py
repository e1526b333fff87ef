#!/usr/bin/python3 -I
"""runc without the capabilities this machine cannot grant: dockerd's default runtime when the
harness starts dockerd on a machine whose capability bounding set lacks some of what the kernel
knows (e2e/harness/docker.py).

A privileged container (a kind node) asks for every capability the kernel knows, and runc fails
with "unable to apply caps: operation not permitted" on any one outside its bounding set; some
sandboxes drop CAP_SYS_RESOURCE. This removes those from the container's spec (and from an
exec's process spec), then runs runc with the same arguments. It is copied out of the
repository when dockerd starts, and runs with Debian's python3 alone (no imports from here).
"""

import json
import os
import re
import sys

# linux/capability.h, by number.
NAMES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE"
).split()


def missing(status: str | None = None, last: int | None = None) -> set[str]:
    """The capabilities the kernel knows (up to `last`) that the bounding set in `status` lacks;
    by default this process's, from /proc."""
    if status is None:
        with open("/proc/self/status") as file:
            status = file.read()
    if last is None:
        with open("/proc/sys/kernel/cap_last_cap") as file:
            last = int(file.read())
    found = re.search(r"^CapBnd:\s*([0-9a-f]+)$", status, re.MULTILINE)
    bounding = int(found[1], 16) if found else 0
    known = NAMES[: last + 1]
    return {f"CAP_{name}" for number, name in enumerate(known) if not bounding >> number & 1}


def fit(path: str, drop: set[str], process_only: bool) -> None:
    with open(path) as file:
        spec = json.load(file)
    process = spec if process_only else spec.get("process") or {}
    capabilities = process.get("capabilities") or {}
    for kind, names in capabilities.items():
        capabilities[kind] = [name for name in names if name not in drop]
    with open(path, "w") as file:
        json.dump(spec, file)


def main(args: list[str]) -> None:
    drop = missing()
    if drop:
        for index, arg in enumerate(args[:-1]):
            if arg in ("--bundle", "-b"):
                fit(os.path.join(args[index + 1], "config.json"), drop, process_only=False)
            elif arg in ("--process", "-p") and "exec" in args[:index]:
                fit(args[index + 1], drop, process_only=True)
    os.execvp("runc", ["runc", *args])


if __name__ == "__main__":
    main(sys.argv[1:])
