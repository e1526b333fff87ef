"""The Argo CD servers a call may use: the one ARGOCD_SERVER names, or several named ones from
the file K8S_MCP_ARGOCD_INSTANCES names.

A call picks an instance by name, with argocd's own `--argocd-context NAME` in the command or
the tool's `context` argument, and gets that instance's address, TLS settings and token
together: a name is all the model gives, so it can never pair one server with another's
token. The file holds no secrets itself; each token is read at start from a file or an
environment variable:

```yaml
default: prod            # used when a call names none (optional with a single instance)
instances:
  prod:
    server: cd.example.com            # host[:port], or an https:// or http:// URL
    tokenFile: /run/secrets/argocd-prod
    caFile: /etc/argocd/prod-ca.pem   # optional; or insecure: true
  staging:
    server: https://cd-staging.example.com
    tokenEnv: ARGOCD_STAGING_TOKEN
```
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.argocd import ArgoCDConfig
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import CommandError, StartupError

_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class _Instance(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    server: str
    token_file: str | None = Field(default=None, alias="tokenFile")
    token_env: str | None = Field(default=None, alias="tokenEnv")
    ca_file: str | None = Field(default=None, alias="caFile")
    insecure: bool = False


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str | None = None
    instances: dict[str, _Instance]


@dataclass(frozen=True)
class ArgoCDInstances:
    """Named Argo CD servers; the unnamed one ("") is ARGOCD_SERVER's."""

    configs: Mapping[str, ArgoCDConfig]
    default: str | None

    @property
    def named(self) -> list[str]:
        return sorted(name for name in self.configs if name)

    def config(self, name: str | None) -> ArgoCDConfig | None:
        """The instance a call asked for (None: the default); None when no Argo CD server is
        configured at all (the CLI then uses its own configuration)."""
        if name is None:
            if self.default is not None:
                return self.configs[self.default]
            if self.named:
                raise CommandError(
                    "invalid_command",
                    "several Argo CD instances are configured and none is the default: name "
                    f"one with --argocd-context NAME (one of {', '.join(self.named)}).",
                )
            return None
        if name not in self.configs or not name:
            if not self.named:
                raise CommandError(
                    "policy_denied",
                    "--argocd-context names an instance of K8S_MCP_ARGOCD_INSTANCES, and this "
                    "server has none (it uses ARGOCD_SERVER, or the CLI's own configuration); "
                    "leave it out.",
                )
            raise CommandError(
                "invalid_command",
                f"no Argo CD instance is named {name!r}; the instances are "
                f"{', '.join(self.named)}.",
            )
        return self.configs[name]


def _read_token(name: str, entry: _Instance, where: Path) -> str | None:
    if entry.token_file and entry.token_env:
        raise StartupError(f"{where}: instance {name} sets both tokenFile and tokenEnv; keep one.")
    if entry.token_file:
        try:
            token = Path(entry.token_file).read_text().strip()
        except OSError as error:
            raise StartupError(
                f"{where}: instance {name}'s tokenFile {entry.token_file} cannot be read: "
                f"{error.strerror or error}."
            ) from None
        if not token:
            raise StartupError(f"{where}: instance {name}'s tokenFile {entry.token_file} is empty.")
        return token
    if entry.token_env:
        token = os.environ.get(entry.token_env, "").strip()
        if not token:
            raise StartupError(
                f"{where}: instance {name}'s tokenEnv {entry.token_env} is not set in the "
                "server's environment."
            )
        return token
    return None


def load_instances(path: str, settings: Settings) -> ArgoCDInstances:
    where = Path(path)
    try:
        raw = yaml.safe_load(where.read_text())
    except OSError as error:
        raise StartupError(
            f"K8S_MCP_ARGOCD_INSTANCES={path} cannot be read: {error.strerror or error}."
        ) from None
    except yaml.YAMLError as error:
        raise StartupError(f"{where} is not YAML: {error}") from None
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'the file'}: {item['msg']}"
            for item in error.errors()
        )
        raise StartupError(
            f"{where} is not an Argo CD instances file ({problems}); see docs/configuration.md."
        ) from None
    if not parsed.instances:
        raise StartupError(f"{where} names no instances.")
    configs = {}
    for name, entry in parsed.instances.items():
        if not _NAME.fullmatch(name):
            raise StartupError(
                f"{where}: {name!r} is not an instance name (lowercase letters, digits and -)."
            )
        token = _read_token(name, entry, where)
        if token is None and settings.argocd_identity != "caller":
            raise StartupError(
                f"{where}: instance {name} has no token: set tokenFile or tokenEnv (each call "
                "to it uses that token)."
            )
        configs[name] = ArgoCDConfig(
            server=entry.server,
            token=token,
            insecure=entry.insecure,
            ca_file=entry.ca_file,
            timeout=settings.request_timeout,
        )
    default = parsed.default
    if default is not None and default not in configs:
        raise StartupError(f"{where}: default {default!r} is not one of its instances.")
    if default is None and len(configs) == 1:
        default = next(iter(configs))
    return ArgoCDInstances(configs, default)


def instances_for(settings: Settings) -> ArgoCDInstances:
    """The file's instances, else ARGOCD_SERVER's as the only one, else none."""
    if settings.argocd_instances:
        return load_instances(settings.argocd_instances, settings)
    if not settings.argocd_server:
        return ArgoCDInstances({}, None)
    token = settings.argocd_auth_token
    password = settings.argocd_password
    config = ArgoCDConfig(
        server=settings.argocd_server,
        token=token.get_secret_value() if token else None,
        username=settings.argocd_username,
        password=password.get_secret_value() if password else None,
        insecure=settings.argocd_insecure,
        ca_file=settings.argocd_ca_file,
        timeout=settings.request_timeout,
    )
    return ArgoCDInstances({"": config}, "")
