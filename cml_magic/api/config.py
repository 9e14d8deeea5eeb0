"""Where the client's settings come from: arguments, then our variables, then the variables a
CML session provides, then a TOML config file; the first source that has a setting wins.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_magic.api.errors import ConfigError

DEFAULT_CONFIG = Path("~/.config/cml_magic/config.toml")
# The legacy key is a credential of its own: a v1 call never falls back to the v2 key.
LEGACY_KEY_MISSING = (
    "the legacy API v1 needs the legacy API key (not the v2 key): set CML_MAGIC_LEGACY_API_KEY,"
    " legacy_api_key= or %config CMLMagics.legacy_api_key (inside CML: CDSW_API_KEY); CML"
    " shows it under User Settings > API Keys > Legacy API Key"
)
# Every variable `resolve` reads: a client built from them is out of date once one changes.
SETTING_VARIABLES = (
    "CML_MAGIC_HOST",
    "CDSW_API_URL",
    "CDSW_DOMAIN",
    "CML_MAGIC_API_KEY",
    "CDSW_APIV2_KEY",
    "CML_MAGIC_LEGACY_API_KEY",
    "CDSW_API_KEY",
    "CML_MAGIC_PROJECT",
    "CDSW_PROJECT_ID",
    "CML_MAGIC_CA_BUNDLE",
    "CML_MAGIC_VERIFY",
    "CML_MAGIC_CONFIG",
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one client; `legacy_api_key` is "" when none was given."""

    host: str
    api_key: str
    legacy_api_key: str
    project: str | None
    verify: bool | str
    model_endpoint: str = ""

    def __repr__(self) -> str:
        return (
            f"Settings(host={self.host!r}, api_key={mask(self.api_key)!r}, "
            f"legacy_api_key={mask(self.legacy_api_key)!r}, "
            f"project={self.project!r}, verify={self.verify!r}, "
            f"model_endpoint={self.model_endpoint!r})"
        )


def mask(key: str) -> str:
    """A key as it may be shown: its last four characters at most."""
    if not key:
        return ""
    return "****" + key[-4:] if len(key) >= 16 else "****"


def normalize_host(host: str) -> str:
    """`ml.example.com/api/v1/` -> `https://ml.example.com`."""
    host = host.strip().rstrip("/")
    for suffix in ("/api/v1", "/api/v2"):
        if host.endswith(suffix):
            host = host[: -len(suffix)]
    if "://" not in host:
        host = "https://" + host
    return host.rstrip("/")


def default_model_endpoint(host: str) -> str:
    """Where a workspace serves its models: `https://modelservice.<workspace host>/model`, the
    address CML's own projects call (`modelservice.$CDSW_DOMAIN`). A host that is an IP address
    or has no domain (`http://127.0.0.1:8642`, `localhost`: a local server) serves them at its
    own `/model`."""
    host = normalize_host(host)
    scheme, _, rest = host.partition("://")
    name = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    bare = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    try:
        ipaddress.ip_address(bare.strip("[]"))
        local = True
    except ValueError:
        local = "." not in bare
    if local:
        return host + "/model"
    return f"https://modelservice.{name}/model"


def config_path(env: Mapping[str, str]) -> Path:
    """`$CML_MAGIC_CONFIG`, else `~/.config/cml_magic/config.toml`."""
    return Path(env.get("CML_MAGIC_CONFIG") or DEFAULT_CONFIG).expanduser()


def read_config_file(path: Path) -> dict[str, Any]:
    """The flat table of the config file; empty when there is no file."""
    try:
        with path.open("rb") as handle:
            # Imported here: most sessions have no config file, and the parser is not free.
            import tomllib

            try:
                return tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None


def _flag(value: Any, source: str) -> bool | str:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ConfigError(f"{source} must be true or false, not {text!r}")


def _session_host(env: Mapping[str, str]) -> str | None:
    if env.get("CDSW_API_URL"):
        return env["CDSW_API_URL"]
    if env.get("CDSW_DOMAIN"):
        return "https://" + env["CDSW_DOMAIN"]
    return None


def first(*values: Any) -> Any:
    """The first value given (neither None nor empty)."""
    return next((v for v in values if v not in (None, "")), None)


def settings_fingerprint(env: Mapping[str, str] | None = None) -> str:
    """A digest of every variable `resolve` reads and of the config file's state: it changes
    when a setting may have. A digest, so that no copy of a key is kept beside the client."""
    env = os.environ if env is None else env
    path = config_path(env)
    try:
        stat = path.stat()
        file_state = f"{path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        file_state = f"{path}:absent"
    values = [env.get(name) or "" for name in SETTING_VARIABLES]
    return hashlib.sha256("\0".join([*values, file_state]).encode()).hexdigest()


def settings_found(
    *,
    host: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str | None, bool, str | None]:
    """The host, whether there is an API key, and the project `resolve` would take, each on
    its own and without raising (an unreadable config file counts as empty): what a settings
    listing shows when the client cannot be built."""
    env = os.environ if env is None else env
    try:
        file = read_config_file(config_path(env))
    except ConfigError:
        file = {}
    host = first(host, env.get("CML_MAGIC_HOST"), _session_host(env), file.get("host"))
    key = first(api_key, env.get("CML_MAGIC_API_KEY"), env.get("CDSW_APIV2_KEY"))
    key = first(key, file.get("api_key"))
    project = first(
        project, env.get("CML_MAGIC_PROJECT"), env.get("CDSW_PROJECT_ID"), file.get("project")
    )
    return (
        normalize_host(str(host)) if host else None,
        bool(key),
        str(project) if project else None,
    )


def resolve(
    *,
    host: str | None = None,
    api_key: str | None = None,
    legacy_api_key: str | None = None,
    project: str | None = None,
    verify: bool | str | None = None,
    model_endpoint: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting; raise `ConfigError` when there is no host or no API key.

    The legacy key is optional (only API v1 needs it) and never taken from the v2 key."""
    env = os.environ if env is None else env
    file = read_config_file(config_path(env))
    host = first(host, env.get("CML_MAGIC_HOST"), _session_host(env), file.get("host"))
    api_key = first(api_key, env.get("CML_MAGIC_API_KEY"), env.get("CDSW_APIV2_KEY"))
    api_key = first(api_key, file.get("api_key"))
    legacy = first(
        legacy_api_key,
        env.get("CML_MAGIC_LEGACY_API_KEY"),
        env.get("CDSW_API_KEY"),
        file.get("legacy_api_key"),
    )
    project = first(
        project, env.get("CML_MAGIC_PROJECT"), env.get("CDSW_PROJECT_ID"), file.get("project")
    )
    if verify is None:
        if env.get("CML_MAGIC_CA_BUNDLE"):
            verify = env["CML_MAGIC_CA_BUNDLE"]
        elif env.get("CML_MAGIC_VERIFY"):
            verify = _flag(env["CML_MAGIC_VERIFY"], "CML_MAGIC_VERIFY")
        elif file.get("ca_bundle"):
            verify = str(file["ca_bundle"])
        elif "verify" in file:
            verify = _flag(file["verify"], "verify in the config file")
        else:
            # True lets requests apply REQUESTS_CA_BUNDLE itself.
            verify = True
    endpoint = first(
        model_endpoint, env.get("CML_MAGIC_MODEL_ENDPOINT"), file.get("model_endpoint")
    )
    if not host:
        raise ConfigError(
            "no CML host: pass host=, or set CML_MAGIC_HOST (inside CML: CDSW_API_URL)"
        )
    if not api_key:
        raise ConfigError(
            "no CML API key: pass api_key=, or set CML_MAGIC_API_KEY (inside CML: CDSW_APIV2_KEY)"
        )
    if isinstance(verify, str) and not Path(verify).expanduser().exists():
        raise ConfigError(f"CA bundle {verify} does not exist")
    return Settings(
        host=normalize_host(str(host)),
        api_key=str(api_key),
        legacy_api_key=str(legacy or "").strip(),
        project=str(project) if project else None,
        verify=str(Path(verify).expanduser()) if isinstance(verify, str) else verify,
        model_endpoint=str(endpoint).strip() if endpoint else default_model_endpoint(str(host)),
    )
