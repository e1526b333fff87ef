"""Generate kube_ai_proxy/specs/<tool>.json: each CLI's command tree and flags.

kubectl's spec comes from its own cobra tree (a small Go program in e2e/gomod/kubernetes/clispec
that builds the tree as cmd/kubectl does): exact, including flags with no-option defaults
such as --dry-run and --validate. helm, istioctl and argocd print cobra's standard help, whose
flag lines say exactly whether a flag takes a value; their specs are read from `--help` of
every command, walked recursively.

Help leaves out what a program hides: hidden commands (`istioctl proxy-config eds`), hidden
flags (istioctl's --log_* options, printed by `istioctl options`; the inherited --namespace,
--istioNamespace or --charts that istioctl hides on some commands). The specs do not list
them, so the server refuses them as unknown flags: stricter than the program, never looser.

Run `python -m e2e.harness.clispecs [tool ...]` after changing a CLI version, and commit the
result; tests/test_clispecs.py checks the specs still load.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from e2e.harness import binaries
from e2e.harness.cache import CacheLayout
from e2e.harness.errors import HarnessError
from e2e.harness.progress import say

SPECS_DIR = Path(__file__).resolve().parents[2] / "kube_ai_proxy" / "specs"

_SECTION = re.compile(r"^([A-Z][A-Za-z ]+):\s*$")
# pflag's FlagUsages line: "  -n, --namespace string   text" / "      --debug   text" /
# '      --output string[="json"]   text'. The exact indentation keeps out the continuation
# lines of a multi-line usage text, which pflag indents to the usage column.
_FLAG = re.compile(
    r"^(?:  -(?P<short>\S), |      )--(?P<name>[\w.-]+)"
    r"(?: (?P<var>[^\s\[]+))?(?P<noopt>\[=[^\]]*\])?(?:\s{2,}(?P<usage>.*))?$"
)
# cobra pads command names to the longest one and adds one space: the longest is followed by
# a single space ("  create-remote-secret Create a secret...").
_COMMAND = re.compile(r"^\s{2}(?P<name>[\w.:-]+)(?:\s+(?P<summary>.*))?$")

# How each program prints its own version without asking a server.
_VERSION_ARGS = {
    "helm": ("version", "--short"),
    "istioctl": ("version", "--remote=false", "--short"),
    "argocd": ("version", "--client", "--short"),
}


def _environment() -> dict[str, str]:
    # argocd picks its role from ARGOCD_BINARY_NAME before argv[0]: unset, it is the CLI.
    return {k: v for k, v in os.environ.items() if k != "ARGOCD_BINARY_NAME"}


def _help(binary: Path, path: list[str]) -> str:
    proc = subprocess.run(
        [str(binary), *path, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_environment(),
    )
    if proc.returncode != 0:
        raise HarnessError(f"{binary.name} {' '.join(path)} --help failed: {proc.stderr.strip()}")
    return proc.stdout


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def _flags(lines: list[str], persistent: bool) -> Iterator[dict[str, Any]]:
    for line in lines:
        match = _FLAG.match(line)
        if not match:
            continue
        var = match.group("var")
        noopt = match.group("noopt")
        yield {
            "name": match.group("name"),
            "short": match.group("short") or "",
            "type": var or "bool",
            # A flag without a value name is a bool; one with [=default] has a no-option
            # default. Both are complete without a value.
            "takes_value": bool(var) and not noopt,
            "persistent": persistent,
        }


def cobra_help_spec(tool: str, binary: Path, version: str) -> dict[str, Any]:
    commands: list[dict[str, Any]] = []

    def visit(path: list[str]) -> None:
        sections = _sections(_help(binary, path))
        aliases_line = " ".join(sections.get("Aliases", [])).strip()
        aliases = [a.strip() for a in aliases_line.split(",")[1:] if a.strip()]
        summary = next((ln.strip() for ln in sections[""] if ln.strip()), "")
        # Every flag a command accepts is listed, its own and the inherited (global) ones.
        flags = [
            *_flags(sections.get("Flags", []), persistent=not path),
            *_flags(sections.get("Global Flags", []), persistent=True),
        ]
        commands.append(
            {
                "path": " ".join(path),
                "aliases": aliases,
                "short": summary,
                "flags": sorted(flags, key=lambda f: f["name"]),
            }
        )
        for name in _subcommands(binary.name, path, sections):
            visit([*path, name])

    visit([])
    return {
        "tool": tool,
        "version": version,
        "normalize_underscores": False,
        "complete": True,
        "commands": commands,
    }


def _subcommands(program: str, path: list[str], sections: dict[str, list[str]]) -> list[str]:
    """The children a help text lists: "Available Commands", or with command groups, each
    group's title and "Additional Commands"; and the "Additional help topics", commands that
    only print help (`istioctl options`), named there by their full path."""
    names: list[str] = []
    for title, lines in sections.items():
        if title.endswith("Commands"):
            matches = (_COMMAND.match(line) for line in lines)
            names += [m.group("name") for m in matches if m and m.group("name") != "help"]
        elif title == "Additional help topics":
            prefix = [program, *path]
            for line in lines:
                words = line.split()
                if len(words) > len(prefix) and words[: len(prefix)] == prefix:
                    names.append(words[len(prefix)])
    return list(dict.fromkeys(names))


def kubectl_spec() -> dict[str, Any]:
    proc = subprocess.run(
        ["go", "run", "-ldflags", " ".join(binaries.kubernetes_ldflags()), "./clispec"],
        cwd=binaries.GOMOD_DIR / "kubernetes",
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise HarnessError(f"kubectl spec generation failed:\n{proc.stderr}")
    spec: dict[str, Any] = json.loads(proc.stdout)
    return spec


def write_spec(spec: dict[str, Any]) -> Path:
    """One command per line: readable diffs when a CLI version changes."""
    head = {k: v for k, v in spec.items() if k != "commands"}
    body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in spec["commands"])
    text = json.dumps(head)[:-1] + ', "commands": [\n' + body + "\n]}\n"
    json.loads(text)  # the file must stay valid JSON
    target = SPECS_DIR / f"{spec['tool']}.json"
    target.write_text(text)
    return target


def _version(binary: Path, *args: str) -> str:
    out = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, check=True, env=_environment()
    ).stdout
    match = re.search(r"v?\d+\.\d+\.\d+", out)
    return match.group(0) if match else out.strip()


def generate(tool: str) -> Path:
    if tool == "kubectl":
        spec = kubectl_spec()
    else:
        binary = CacheLayout.from_env().bin_dir / tool
        if not binary.exists():
            raise HarnessError(f"{binary} is missing: run `python -m e2e.harness binaries` first")
        spec = cobra_help_spec(tool, binary, _version(binary, *_VERSION_ARGS[tool]))
    path = write_spec(spec)
    say(f"wrote {path} ({len(spec['commands'])} commands)")
    return path


def main(argv: list[str]) -> int:
    for tool in argv or ["kubectl", "helm"]:
        generate(tool)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
