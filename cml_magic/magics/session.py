"""The notebook's own commands: `%cml use`, `%cml config`, `%cml login`, `%cml logout`
(and `%cml panel`, handed on to `panel`)."""

from __future__ import annotations

from collections.abc import Callable
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
    }
    if any(w in {"-h", "--help"} for w in words):
        from cml_magic.magics.errors import HelpRequested
        from cml_magic.magics.router import SESSION_COMMANDS

        raise HelpRequested(f"%cml {command}: {SESSION_COMMANDS[command]}")
    return handlers[command](magic, words)


def use(magic: CMLMagics, words: list[str]) -> Any:
    """`%cml use PROJECT` checks the project exists and makes it the default."""
    if words == ["--clear"]:
        magic.project = None
        print("No default project: commands use CML_MAGIC_PROJECT or CDSW_PROJECT_ID, if set.")
        return None
    if len(words) != 1:
        raise usage_error(
            "%cml use takes one project name or id (or --clear), e.g. %cml use risk-analysis",
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
    client, problem = None, ""
    try:
        client = magic.client()
    except Exception as exc:  # noqa: BLE001 - shown as part of the settings
        problem = str(exc)
    if magic.key_from_login:
        key = "set (by %cml login)"
    elif client is not None:
        key = "set (from the environment or config file)"
    else:
        key = "not set"
    rows = [
        ("host", getattr(client, "host", None) or magic.host or "not set"),
        ("project", getattr(client, "project", None) or magic.project or "none"),
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
    print("\nChange with %config CMLMagics.NAME = value; the key with %cml login.")


def _legacy_key_row(magic: CMLMagics, client: Any) -> str:
    if magic.legacy_api_key is not None:
        return "********  set (by %config or %cml login --legacy)"
    if client is not None and client.has_legacy_key:
        return "********  set (from the environment or config file)"
    return "not set (only the legacy API v1 needs it)"


def login(magic: CMLMagics, words: list[str]) -> None:
    """`%cml login [--legacy]` reads the key (or the legacy key) with getpass: never echoed,
    never in the notebook."""
    if words not in ([], ["--legacy"]):
        raise usage_error(
            "%cml login takes no arguments but --legacy (never put the key on the line):"
            " it asks for it",
            "bad_argument",
        )
    import getpass

    if words:
        key = getpass.getpass("CML legacy API key: ").strip()
        if not key:
            raise usage_error("no key given; nothing changed", "bad_argument")
        try:
            magic.legacy_api_key = key
        except Exception as exc:  # noqa: BLE001 - the trait's message never quotes the key
            raise usage_error(str(exc), "bad_argument") from None
        print("Legacy key kept in memory for this kernel only.")
        return
    magic.set_key(getpass.getpass("CML API key: "))
    print("Key kept in memory for this kernel only.")


def logout(magic: CMLMagics, words: list[str]) -> None:
    """`%cml logout` forgets the keys given by `%cml login` (and the legacy key's setting)."""
    magic.forget_key()
    print("Forgot the key given by %cml login.")
