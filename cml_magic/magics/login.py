"""`%cml login`, `%cml whoami` and `%cml use --profile`: a workspace's key asked for, checked
with CML's ValidateAPIKey before it is kept, and the notebook switched between profiles.

A key is never read from the magic line: it comes from the environment, the system keyring or
the question `CMLMagics.ask` puts (getpass by default).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cml_magic.magics.errors import api_error, usage_error
from cml_magic.magics.parsing import CommandParser

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.config import Settings
    from cml_magic.magics.magic import CMLMagics

LOGIN_USAGE = (
    "%cml login [--profile P] [--save] | %cml login --legacy: asks for the key (never put it"
    " on the line), checks it with CML, keeps it in memory (--save: in the system keyring)"
)


def _login_parser() -> CommandParser:
    parser = CommandParser(prog="%cml login", description=LOGIN_USAGE)
    parser.add_argument("--profile", help="the profile of the config file to log in to")
    parser.add_argument(
        "--save", action="store_true", help="also keep the key in the system keyring"
    )
    parser.add_argument("--legacy", action="store_true", help="the legacy API v1 key instead")
    return parser


def login(magic: CMLMagics, words: list[str]) -> None:
    """`%cml login [--profile P] [--save]`: ask, check (ValidateAPIKey), keep, say who."""
    _no_key_on_the_line(words)
    args = _login_parser().parse_args(words)
    if args.legacy:
        if args.profile or args.save:
            raise usage_error(
                "%cml login --legacy takes no other option (the legacy key of a profile comes"
                " from the variable its legacy_api_key_env names)",
                "bad_argument",
            )
        _legacy(magic)
        return
    profile = _known_profile(magic, args.profile) if args.profile else magic.profile_in_effect()
    if args.save:
        from cml_magic.api import keystore

        if not keystore.available():
            raise usage_error(f"--save: {keystore.MISSING}; nothing asked", "not_configured")
    prompt = f"CML API key for profile {profile}: " if profile else "CML API key: "
    key = magic.ask(prompt)
    client, settings, user = _checked(magic, profile if args.profile else None, key)
    if args.profile and args.profile != (magic.profile or None):
        switch(magic, args.profile)
    magic.set_key(key, profile)
    magic.use_client(client, settings)
    saved = ""
    if args.save:
        from cml_magic.api import keystore
        from cml_magic.api.errors import ConfigError

        holder = settings.profile or settings.host
        try:
            keystore.save(holder, key)
        except ConfigError as exc:
            raise usage_error(f"logged in, but {exc}", "not_configured") from None
        saved = f"; saved in the system keyring ({keystore.SERVICE}, {holder})"
    print(f"Logged in as {_who(user, settings)}{saved}.")


def _no_key_on_the_line(words: list[str]) -> None:
    """A word that is no option (nor --profile's value) may be a key: refused, and not quoted."""
    for at, word in enumerate(words):
        if not word.startswith("-") and (at == 0 or words[at - 1] != "--profile"):
            raise usage_error(
                "%cml login takes no arguments but --profile P, --save or --legacy (never put"
                " the key on the line): it asks for it",
                "bad_argument",
            )


def _legacy(magic: CMLMagics) -> None:
    key = magic.ask("CML legacy API key: ")
    try:
        magic.legacy_api_key = key
    except Exception as exc:  # noqa: BLE001 - the trait's message never quotes the key
        raise usage_error(str(exc), "bad_argument") from None
    print("Legacy key kept in memory for this kernel only.")


def _checked(magic: CMLMagics, profile: str | None, key: str) -> tuple[CML, Settings, str]:
    """A client with `key` for `profile`'s workspace, once CML said the key is valid, and the
    key's user; a one-line `UsageError` (nothing kept) otherwise."""
    from cml_magic.api import CML, CMLError
    from cml_magic.api.errors import AuthError

    try:
        settings = magic.resolve_settings(profile, api_key=key)
        client = CML.from_settings(settings, timeout=magic.timeout)
    except CMLError as exc:
        raise api_error(exc) from None
    try:
        check = client.whoami()
    except AuthError as exc:
        client.close()
        raise usage_error(
            f"{settings.host} refused the key ({exc.status}: {exc.message}); nothing kept",
            "not_configured",
        ) from None
    except CMLError as exc:
        client.close()
        raise api_error(exc) from None
    if not check.valid:
        client.close()
        why = f": {check.message}" if check.message else ""
        raise usage_error(f"{settings.host} says the key is not valid{why}; nothing kept",
                          "not_configured")  # fmt: skip
    return client, settings, check.username


def whoami(magic: CMLMagics, words: list[str]) -> None:
    """`%cml whoami`: one line, the key's user, the workspace and the profile."""
    if words:
        raise usage_error("%cml whoami takes no arguments", "bad_argument")
    client = magic.client()
    check = magic._call(client.whoami)
    settings = magic.settings
    if settings is None:  # pragma: no cover - client() just set them
        raise usage_error("no settings", "not_configured")
    print(_who(check.username, settings))


def _who(user: str, settings: Settings) -> str:
    profile = f"profile {settings.profile}" if settings.profile else "no profile"
    return f"{user} on {settings.host} ({profile})"


def _known_profile(magic: CMLMagics, name: str) -> str:
    """`name`, checked against the config file's profiles (one line when it has none such)."""
    from cml_magic.api import CMLError, profiles
    from cml_magic.api.config import config_path, read_config_file

    path = config_path(os.environ)
    try:
        profiles.find(name, read_config_file(path), path)
    except CMLError as exc:
        raise api_error(exc) from None
    return name


def switch(magic: CMLMagics, name: str) -> None:
    """Make profile `name` the notebook's: the host, project, TLS, model endpoint and legacy
    key set in the notebook belonged to the workspace before, so they go."""
    for trait in ("host", "project", "verify", "model_endpoint", "legacy_api_key"):
        setattr(magic, trait, None)
    magic.profile = name


def use_profile(magic: CMLMagics, name: str) -> Any:
    """`%cml use --profile NAME`: switch, build the client; ask for the key (and check it)
    when neither the profile's variable nor the keyring has one."""
    from cml_magic.api import CMLError
    from cml_magic.api.errors import ConfigError

    _known_profile(magic, name)
    try:
        settings = magic.resolve_settings(name)
    except ConfigError as exc:
        if not str(exc).startswith("no API key for profile"):
            raise api_error(exc) from None
        key = magic.ask(f"CML API key for profile {name}: ")
        client, settings, user = _checked(magic, name, key)
        switch(magic, name)
        magic.set_key(key, name)
        magic.use_client(client, settings)
        print(f"Using profile {name} from now on in this notebook: {_who(user, settings)}.")
        return None
    except CMLError as exc:
        raise api_error(exc) from None
    switch(magic, name)
    magic.client()
    source = "%cml login" if settings.key_source == "argument" else settings.key_source
    print(
        f"Using profile {name} from now on in this notebook: {settings.host}, the key from"
        f" {source}."
    )
    return None
