"""Where the client's settings come from: arguments, then our variables, then the variables a
CML session provides, then a TOML config file; the first source that has a setting wins. With a
workspace profile in effect (`cml_magic.api.profiles`): arguments, then the profile.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cml_magic.api.errors import ConfigError

if TYPE_CHECKING:
    from cml_magic.api.profiles import Profile

DEFAULT_CONFIG = Path("~/.config/cml_magic/config.toml")
# The legacy key is a credential of its own: a v1 call never falls back to the v2 key.
LEGACY_KEY_MISSING = (
    "the legacy API v1 needs the legacy API key (not the v2 key): set CML_MAGIC_LEGACY_API_KEY,"
    " legacy_api_key= or %config CMLMagics.legacy_api_key (inside CML: CDSW_API_KEY); CML"
    " shows it under User Settings > API Keys > Legacy API Key"
)
# Names the profile in effect (see `chosen_profile`).
PROFILE_VARIABLE = "CML_MAGIC_PROFILE"
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
    "CML_MAGIC_MODEL_ENDPOINT",
    PROFILE_VARIABLE,
    "XDG_CONFIG_HOME",
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
    profile: str = ""  # the profile in effect ("" for none)
    key_source: str = ""  # where the key came from: "argument", a variable, "the keyring"...

    def __repr__(self) -> str:
        return (
            f"Settings(host={self.host!r}, api_key={mask(self.api_key)!r}, "
            f"legacy_api_key={mask(self.legacy_api_key)!r}, "
            f"project={self.project!r}, verify={self.verify!r}, "
            f"model_endpoint={self.model_endpoint!r}, profile={self.profile!r})"
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
    """`$CML_MAGIC_CONFIG`, else `$XDG_CONFIG_HOME/cml_magic/config.toml`, else
    `~/.config/cml_magic/config.toml`."""
    if env.get("CML_MAGIC_CONFIG"):
        return Path(env["CML_MAGIC_CONFIG"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME") or ""
    if xdg and Path(xdg).is_absolute():  # the XDG rule: a relative value is ignored
        return Path(xdg) / "cml_magic" / "config.toml"
    return DEFAULT_CONFIG.expanduser()


# path -> (its mtime and size, its table): each command reads the file's settings, and a
# profile's key variable, without parsing it again while it is unchanged.
_READ: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def read_config_file(path: Path) -> dict[str, Any]:
    """The table of the config file; empty when there is no file."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            state = (stat.st_mtime_ns, stat.st_size)
            cached = _READ.get(path)
            if cached is not None and cached[0] == state:
                return cached[1]
            # Imported here: most sessions have no config file, and the parser is not free.
            import tomllib

            try:
                table = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"cannot read the config file {path}: {exc}") from None
            _READ[path] = (state, table)
            return table
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None


def chosen_profile(
    profile: str | None, env: Mapping[str, str], file: Mapping[str, Any]
) -> str | None:
    """The name of the profile in effect: `profile`, else `$CML_MAGIC_PROFILE`, else the
    file's top-level `profile`; None for none."""
    for value in (profile, env.get(PROFILE_VARIABLE), file.get("profile")):
        if value not in (None, ""):
            return str(value).strip()
    return None


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


def settings_fingerprint(env: Mapping[str, str] | None = None, profile: str | None = None) -> str:
    """A digest of every variable `resolve` reads (those a profile names included) and of the
    config file's state: it changes when a setting may have. A digest, so that no copy of a key
    is kept beside the client."""
    env = os.environ if env is None else env
    path = config_path(env)
    try:
        stat = path.stat()
        file_state = f"{path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        file_state = f"{path}:absent"
    values = [env.get(name) or "" for name in SETTING_VARIABLES]
    values += [profile or "", *_profile_variables(path, profile, env)]
    return hashlib.sha256("\0".join([*values, file_state]).encode()).hexdigest()


def _profile_variables(path: Path, profile: str | None, env: Mapping[str, str]) -> list[str]:
    """The values of the key variables the profile in effect names (none without one)."""
    try:
        file = read_config_file(path)
        name = chosen_profile(profile, env, file)
        if name is None:
            return []
        from cml_magic.api import profiles  # only a file naming a profile needs it

        found = profiles.find(name, file, path)
    except ConfigError:
        return []
    return [env.get(v) or "" for v in (found.api_key_env, found.legacy_api_key_env) if v]


def settings_found(
    *,
    host: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str | None, bool, str | None]:
    """The host, whether there is an API key, and the project `resolve` would take, each on
    its own and without raising (an unreadable config file or unknown profile counts as
    empty): what a settings listing shows when the client cannot be built."""
    env = os.environ if env is None else env
    try:
        found = _gather(_Given(host, api_key, project=project), profile, env)
    except ConfigError:
        # No profile, no file: what the variables alone give.
        plain = {k: v for k, v in env.items() if k != PROFILE_VARIABLE}
        found = _gather(_Given(host, api_key, project=project), None, plain, file={})
    host = found["host"]
    return (
        normalize_host(str(host)) if host else None,
        bool(found["api_key"]),
        str(found["project"]) if found["project"] else None,
    )


@dataclass(frozen=True)
class _Given:
    """The settings passed as arguments: each wins over every other source."""

    host: str | None = None
    api_key: str | None = field(default=None, repr=False)
    legacy_api_key: str | None = field(default=None, repr=False)
    project: str | None = None
    verify: bool | str | None = None
    model_endpoint: str | None = None


def _gather(
    given: _Given, profile: str | None, env: Mapping[str, str], file: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every setting from its first source (None where none has it), with `profile` (its
    name, or "") and `key_source` (where the key came from)."""
    path = config_path(env)
    file = read_config_file(path) if file is None else file
    name = chosen_profile(profile, env, file)
    if name is not None:
        # Loaded only with a profile in effect: most sessions name none.
        from cml_magic.api import profiles

        return _from_profile(profiles.find(name, file, path), given, env)
    key, source = given.api_key, "argument"
    for variable in ("CML_MAGIC_API_KEY", "CDSW_APIV2_KEY"):
        if not key and env.get(variable):
            key, source = env[variable], variable
    if not key and file.get("api_key"):
        key, source = file["api_key"], "config file"
    host = first(given.host, env.get("CML_MAGIC_HOST"), _session_host(env), file.get("host"))
    if not key and host:
        # Kept by `%cml login --save` without a profile: under the host's name.
        from cml_magic.api import keystore

        key = keystore.lookup(normalize_host(str(host)))
        source = "the keyring" if key else ""
    verify = given.verify
    if verify is None:
        if env.get("CML_MAGIC_CA_BUNDLE"):
            verify = env["CML_MAGIC_CA_BUNDLE"]
        elif env.get("CML_MAGIC_VERIFY"):
            verify = _flag(env["CML_MAGIC_VERIFY"], "CML_MAGIC_VERIFY")
        elif file.get("ca_bundle"):
            verify = str(file["ca_bundle"])
        elif "verify" in file:
            verify = _flag(file["verify"], "verify in the config file")
    return {
        "host": host,
        "api_key": key,
        "key_source": source if key else "",
        "legacy_api_key": first(
            given.legacy_api_key,
            env.get("CML_MAGIC_LEGACY_API_KEY"),
            env.get("CDSW_API_KEY"),
            file.get("legacy_api_key"),
        ),
        "project": first(
            given.project,
            env.get("CML_MAGIC_PROJECT"),
            env.get("CDSW_PROJECT_ID"),
            file.get("project"),
        ),
        "verify": verify,
        "model_endpoint": first(
            given.model_endpoint, env.get("CML_MAGIC_MODEL_ENDPOINT"), file.get("model_endpoint")
        ),
        "profile": "",
        "missing_key": lambda: (
            "no CML API key: pass api_key=, or set CML_MAGIC_API_KEY (inside CML: CDSW_APIV2_KEY)"
        ),
    }


def _from_profile(found: Profile, given: _Given, env: Mapping[str, str]) -> dict[str, Any]:
    """The settings of a profile: arguments, then the profile; nothing else (see `profiles`)."""
    key, source = (given.api_key, "argument") if given.api_key else found.key(env)
    verify = given.verify
    if verify is None:
        if found.ca_bundle:
            verify = found.ca_bundle
        elif found.verify is not None:
            verify = _flag(found.verify, f"verify in profile {found.name}")
    return {
        "host": first(given.host, found.host),
        "api_key": key,
        "key_source": source if key else "",
        "legacy_api_key": first(given.legacy_api_key, found.legacy_key(env)),
        "project": first(given.project, found.project),
        "verify": verify,
        "model_endpoint": first(given.model_endpoint, found.model_endpoint),
        "profile": found.name,
        "missing_key": found.missing_key,  # asked only when it is missing: it asks the keyring
    }


def resolve(
    *,
    host: str | None = None,
    api_key: str | None = None,
    legacy_api_key: str | None = None,
    project: str | None = None,
    verify: bool | str | None = None,
    model_endpoint: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting; raise `ConfigError` when there is no host or no API key.

    With a profile in effect (`profile`, `$CML_MAGIC_PROFILE` or the file's `profile`), the
    settings are the arguments, then the profile's (see `cml_magic.api.profiles`). The legacy
    key is optional (only API v1 needs it) and never taken from the v2 key."""
    env = os.environ if env is None else env
    given = _Given(host, api_key, legacy_api_key, project, verify, model_endpoint)
    found = _gather(given, profile, env)
    host, verify = found["host"], found["verify"]
    if verify is None:
        verify = True  # True lets requests apply REQUESTS_CA_BUNDLE itself.
    if not host:
        if found["profile"]:
            raise ConfigError(f"profile {found['profile']} has no host: add host = ... to it")
        raise ConfigError(
            "no CML host: pass host=, or set CML_MAGIC_HOST (inside CML: CDSW_API_URL)"
        )
    if not found["api_key"]:
        raise ConfigError(found["missing_key"]())
    if isinstance(verify, str) and not Path(verify).expanduser().exists():
        raise ConfigError(f"CA bundle {verify} does not exist")
    endpoint, project = found["model_endpoint"], found["project"]
    return Settings(
        host=normalize_host(str(host)),
        api_key=str(found["api_key"]),
        legacy_api_key=str(found["legacy_api_key"] or "").strip(),
        project=str(project) if project else None,
        verify=str(Path(verify).expanduser()) if isinstance(verify, str) else verify,
        model_endpoint=str(endpoint).strip() if endpoint else default_model_endpoint(str(host)),
        profile=found["profile"],
        key_source=found["key_source"],
    )
