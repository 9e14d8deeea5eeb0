"""The notebook's own commands: `%cml use`, `%cml config`, `%cml logout` (and `%cml login`,
`%cml whoami` and `%cml use --profile`, handed on to `login`; `%cml panel`, to `panel`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cml_magic.magics.errors import usage_error

if TYPE_CHECKING:
    from cml_magic.magics.magic import CMLMagics


def run(magic: CMLMagics, command: str, words: list[str]) -> Any:
    """Run session command `command` with its words."""
    if command == "panel":  # options of its own, and its own --help
        from cml_magic.magics import panel

        return panel.run(magic, words)
    handlers: dict[str, Callable[[CMLMagics, list[str]], Any]] = {
        "use": use,
        "config": config,
        "login": login,
        "logout": logout,
        "whoami": whoami,
    }
    if any(w in {"-h", "--help"} for w in words):
        from cml_magic.magics.errors import HelpRequested
        from cml_magic.magics.router import SESSION_COMMANDS

        raise HelpRequested(f"%cml {command}: {SESSION_COMMANDS[command]}")
    return handlers[command](magic, words)


def use(magic: CMLMagics, words: list[str]) -> Any:
    """`%cml use PROJECT` checks the project exists and makes it the default;
    `%cml use --profile NAME` switches the notebook to a workspace profile."""
    if words[:1] == ["--profile"] or words[:1] and words[0].startswith("--profile="):
        name = words[0].partition("=")[2] if "=" in words[0] else " ".join(words[1:2])
        if not name or len(words) != (1 if "=" in words[0] else 2):
            raise usage_error(
                "%cml use --profile takes one profile name, e.g. %cml use --profile prod",
                "bad_argument",
            )
        from cml_magic.magics import login

        return login.use_profile(magic, name)
    if words == ["--clear"]:
        magic.project = None
        print("No default project: commands use CML_MAGIC_PROJECT or CDSW_PROJECT_ID, if set.")
        return None
    if len(words) != 1:
        raise usage_error(
            "%cml use takes one project name or id (or --clear, or --profile NAME), e.g."
            " %cml use risk-analysis",
            "bad_argument",
        )
    project = magic._call(lambda: magic.client().projects.get(words[0]))
    magic.project = project.id
    magic.names.remember([project])
    print(f"Using project {project.name} ({project.id}) from now on in this notebook.")
    return project


def config(magic: CMLMagics, words: list[str]) -> None:
    """`%cml config` prints the settings in effect; the key is never shown."""
    if words:
        raise usage_error(
            "%cml config takes no arguments; change settings with %config CMLMagics.NAME = value",
            "bad_argument",
        )
    from cml_magic.api.config import settings_found

    client, problem = None, ""
    try:
        client = magic.client()
    except Exception as exc:  # noqa: BLE001 - shown as part of the settings
        problem = str(exc)
    # Each setting on its own: a missing key says nothing about the host, and the other way.
    profile = magic.profile_in_effect()
    host, has_key, project = settings_found(
        host=magic.host or None, project=magic.project or None, profile=magic.profile or None
    )
    source = magic.settings.key_source if magic.settings is not None else ""
    if magic.key_from_login:
        key = "set (by %cml login)"
    elif source == "the keyring" or source and profile:
        key = f"set (from {source})"
    elif client is not None or has_key:
        key = "set (from the environment or config file)"
    else:
        key = "not set"
    known = _profiles_known()
    rows: list[tuple[str, Any]] = []
    if known or profile:  # without profiles, the listing stays as it always was
        rows.append(("profile", _profile_row(magic, profile)))
        rows.append(("config file", str(_config_file())))
    rows += [
        ("host", getattr(client, "host", None) or host or "not set"),
        ("project", getattr(client, "project", None) or project or "none"),
        ("api key", "********  " + key if key.startswith("set") else key),
        ("legacy key", _legacy_key_row(magic, client)),
        ("page_size", magic.page_size or "auto (the client asks for large pages)"),
        ("display_limit", magic.display_limit),
        ("poll_interval", magic.poll_interval),
        ("watch_interval", magic.watch_interval),
        ("verify", "environment or default (True)" if magic.verify is None else magic.verify),
        ("timeout", magic.timeout),
    ]
    for name, value in rows:
        print(f"{name:<14} {value}")
    if problem:
        print(f"\nNot ready: {problem}")
    workspace = f"; the workspace with %cml use --profile {'|'.join(known)}" if known else ""
    print(f"\nChange with %config CMLMagics.NAME = value; the key with %cml login{workspace}.")


def _profile_row(magic: CMLMagics, profile: str | None) -> str:
    if profile is None:
        return "none"
    if magic.profile:
        return f"{profile} (by %cml use --profile or %config)"
    if os.environ.get("CML_MAGIC_PROFILE"):
        return f"{profile} (from CML_MAGIC_PROFILE)"
    return f"{profile} (from the config file)"


def _config_file() -> Path:
    from cml_magic.api.config import config_path

    return config_path(os.environ)


def _profiles_known() -> list[str]:
    """The profiles of the config file (none when it is unreadable)."""
    from cml_magic.api import CMLError, profiles
    from cml_magic.api.config import read_config_file

    path = _config_file()
    try:
        return profiles.names(read_config_file(path), path)
    except CMLError:
        return []


def _legacy_key_row(magic: CMLMagics, client: Any) -> str:
    if magic.legacy_api_key is not None:
        return "********  set (by %config or %cml login --legacy)"
    if client is not None and client.has_legacy_key:
        return "********  set (from the environment or config file)"
    return "not set (only the legacy API v1 needs it)"


def login(magic: CMLMagics, words: list[str]) -> None:
    """`%cml login ...`: see `login.login`."""
    from cml_magic.magics import login as logins

    logins.login(magic, words)


def whoami(magic: CMLMagics, words: list[str]) -> None:
    """`%cml whoami`: see `login.whoami`."""
    from cml_magic.magics import login as logins

    logins.whoami(magic, words)


def logout(magic: CMLMagics, words: list[str]) -> None:
    """`%cml logout` forgets the keys given by `%cml login` (and the legacy key's setting);
    `--keyring` also the key `--save` kept in the system keyring for the profile in effect
    (without a profile: for the host)."""
    if words not in ([], ["--keyring"]):
        raise usage_error("%cml logout takes no arguments but --keyring", "bad_argument")
    holder = ""
    if words:
        from cml_magic.api.config import settings_found

        holder = magic.profile_in_effect() or settings_found(host=magic.host or None)[0] or ""
        if not holder:
            raise usage_error(
                "--keyring: no profile and no host, so no key to drop", "bad_argument"
            )
    magic.forget_key()
    print("Forgot the key given by %cml login.")
    if holder:
        from cml_magic.api import keystore

        if keystore.forget(holder):
            print(f"Removed the key kept in the system keyring for {holder}.")
        else:
            print(f"The system keyring kept no key for {holder}.")
