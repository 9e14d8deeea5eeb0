"""Workspace profiles: the `[profiles.NAME]` tables of the config file and where a profile's
key comes from (which one is in effect: `config.chosen_profile`).

```toml
profile = "prod"                      # the profile in effect when none is chosen
[profiles.prod]
host = "https://ml-prod.example.com"
api_key_env = "PROD_CML_API_KEY"      # the variable holding the key (never the key itself)
legacy_api_key_env = "PROD_CML_LEGACY_KEY"
project = "risk-analysis"
ca_bundle = "/etc/pki/corp-root-ca.pem"   # or verify = false
model_endpoint = "https://modelservice.ml-prod.example.com/model"
```

A profile is self-contained: the settings it leaves out take their defaults, never a value of
`CML_MAGIC_*`, a CML session or the file's top level, so that one workspace's key or project
never reaches another. Its key comes from the variable `api_key_env` names, else the system
keyring (service `cml_magic`, user: the profile's name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_magic.api import keystore
from cml_magic.api.errors import ConfigError

# The settings a profile may hold: a key never, only the variable holding it.
FIELDS = (
    "host",
    "api_key_env",
    "legacy_api_key_env",
    "project",
    "verify",
    "ca_bundle",
    "model_endpoint",
)


@dataclass(frozen=True)
class Profile:
    """One `[profiles.NAME]` table, its values as text (`verify` as written)."""

    name: str
    host: str = ""
    api_key_env: str = ""
    legacy_api_key_env: str = ""
    project: str = ""
    verify: Any = None
    ca_bundle: str = ""
    model_endpoint: str = ""

    def key(self, env: Mapping[str, str]) -> tuple[str | None, str]:
        """(the key, where it came from): the variable `api_key_env` names, else the keyring;
        (None, "") when neither has it."""
        if self.api_key_env and (env.get(self.api_key_env) or "").strip():
            return env[self.api_key_env].strip(), self.api_key_env
        found = keystore.lookup(self.name)
        return (found, "the keyring") if found else (None, "")

    def legacy_key(self, env: Mapping[str, str]) -> str:
        """The legacy key, from the variable `legacy_api_key_env` names ("" without one)."""
        return (env.get(self.legacy_api_key_env) or "").strip() if self.legacy_api_key_env else ""

    def missing_key(self) -> str:
        """The one line saying where this profile's key may come from."""
        where = f"set {self.api_key_env}, or " if self.api_key_env else ""
        keep = "" if keystore.available() else f" ({keystore.MISSING})"
        return (
            f"no API key for profile {self.name}: {where}keep one in the system keyring with"
            f" %cml login --profile {self.name} --save{keep}"
        )


def table(file: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The `[profiles]` table of the file ({} without one)."""
    found = file.get("profiles", {})
    if not isinstance(found, dict):
        raise ConfigError(f"profiles in {path} must be a table: [profiles.NAME]")
    return found


def names(file: Mapping[str, Any], path: Path) -> list[str]:
    """The profiles of the file, in its order."""
    return list(table(file, path))


def find(name: str, file: Mapping[str, Any], path: Path) -> Profile:
    """The profile `name` of the file; `ConfigError` (one line) when there is none or it
    holds a setting no profile takes."""
    found = table(file, path)
    if name not in found:
        known = ", ".join(found) or "none"
        raise ConfigError(f"no profile {name!r} in {path} (profiles: {known})")
    values = found[name]
    if not isinstance(values, dict):
        raise ConfigError(f"profile {name} in {path} must be a table: [profiles.{name}]")
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        hint = (
            " (a key goes in the variable api_key_env names, or the keyring)"
            if any("key" in u for u in unknown)
            else ""
        )
        raise ConfigError(
            f"profile {name} in {path}: unknown setting {unknown[0]!r}{hint}; settings:"
            f" {', '.join(FIELDS)}"
        )
    text = {f: str(values[f]).strip() for f in FIELDS if f in values and f != "verify"}
    return Profile(name=name, verify=values.get("verify"), **text)
