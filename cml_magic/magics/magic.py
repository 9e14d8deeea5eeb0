"""`CMLMagics`: the `%cml` line magic, the `%%cml_job_env` cell magic and their settings."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from traitlets import (
    Bool,
    Callable,
    Float,
    Int,
    TraitError,
    TraitType,
    Unicode,
    Union,
    observe,
    validate,
)
from traitlets.config import Configurable

from cml_magic.magics.errors import HelpRequested, api_error, usage_error
from cml_magic.magics.names import NameCache

PROJECT_VARIABLE = "CML_MAGIC_PROJECT"
PROFILE_VARIABLE = "CML_MAGIC_PROFILE"

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.config import Settings


class HiddenKey:
    """A key held by a setting: what `%config` and reprs show of it is only that it is set."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'********' (set, hidden)"

    __str__ = __repr__


class KeySetting(TraitType[HiddenKey | None, Any]):
    """A key given as text (`%config CMLMagics.legacy_api_key = '...'`), kept as a `HiddenKey`."""

    default_value = None
    allow_none = True
    info_text = "an API key (never shown)"

    def validate(self, obj: Any, value: Any) -> HiddenKey | None:
        if value is None:
            return None
        if isinstance(value, HiddenKey):
            value = value.value
        if not isinstance(value, str):
            # The value itself is never quoted: it may be the key.
            raise TraitError(f"{self.name} must be text (the key), not {type(value).__name__}")
        value = value.strip()
        if any(c.isspace() for c in value):
            raise TraitError(f"{self.name} contains spaces or line breaks; copy the key again")
        return HiddenKey(value) if value else None


def _hide_keys_in(config: Any) -> None:
    """Replace the clear legacy key in a traitlets `Config` by a `HiddenKey` (in place)."""
    for section in ("CMLMagics", "CMLMagic"):
        if section in config and isinstance(config[section].get("legacy_api_key"), str):
            text = config[section]["legacy_api_key"].strip()
            config[section]["legacy_api_key"] = HiddenKey(text) if text else None


@magics_class
class CMLMagics(Magics, Configurable):
    """Drive Cloudera Machine Learning from IPython: ``%cml`` and ``%%cml_job_env``.

    Settings are traits: ``%config CMLMagics.host = 'https://ml.example.com'`` or, in
    ``ipython_config.py``, ``c.CMLMagics.display_limit = 50``. Unset ones fall back to
    ``CML_MAGIC_*``, then the CML session's ``CDSW_*`` variables, then the config file.
    The API key is not a setting: it comes from the environment, the config file or
    ``%cml login``. The legacy (API v1) key is: ``%config CMLMagics.legacy_api_key = ...``
    (or ``%cml login --legacy``); it is never shown, and never replaced by the v2 key.
    """

    host = Unicode(
        None,
        allow_none=True,
        config=True,
        help="CML workbench address, e.g. https://ml.example.com (default: environment)",
    )
    project = Unicode(
        None,
        allow_none=True,
        config=True,
        help="default project name or id (default: CML_MAGIC_PROJECT or CDSW_PROJECT_ID)",
    )
    page_size = Int(
        0, config=True, help="items asked for per page by listings; 0 lets the client choose"
    )
    display_limit = Int(
        20,
        config=True,
        help="rows shown when a listing is displayed (the result keeps every row; 0: all)",
    )
    # Two knobs, since the two waits differ: --wait asks for one item, --watch joins the
    # kernel's shared poller, which also serves every widget and panel (and caps their rate).
    poll_interval = Float(2.0, config=True, help="seconds between status checks of --wait")
    watch_interval = Float(
        1.0,
        config=True,
        help="seconds between status checks of --watch (the shared poller of every widget;"
        " it stretches them when many items are watched)",
    )
    verify = Union(
        [Bool(), Unicode()],
        default_value=None,
        allow_none=True,
        config=True,
        help="TLS: True, False, or a CA bundle path (default: environment, else True)",
    )
    timeout = Float(30.0, config=True, help="seconds each HTTP call may take, retries included")
    model_endpoint = Unicode(
        None,
        allow_none=True,
        config=True,
        help="where %cml models predict sends model calls (default: CML_MAGIC_MODEL_ENDPOINT,"
        " else https://modelservice.<host>/model; a local server's own /model)",
    )
    legacy_api_key = KeySetting(
        config=True,
        help="the legacy API v1 key (default: CML_MAGIC_LEGACY_API_KEY or CDSW_API_KEY)",
    )
    profile = Unicode(
        None,
        allow_none=True,
        config=True,
        help="the workspace profile of the config file in effect ([profiles.NAME]; default:"
        " CML_MAGIC_PROFILE, else the file's profile = ...); %cml use --profile sets it",
    )
    # One place for every question a key needs (`%cml login`, a profile without a key), so
    # that a front end or a test gives its own: `%config CMLMagics.ask_secret = my_function`.
    ask_secret = Callable(
        None,
        allow_none=True,
        config=True,
        help="the function asking for a secret: called with the prompt, answers what was"
        " typed (default: getpass.getpass, never echoed)",
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # Set before the traits: settings from the config observe these.
        # Keys given by `%cml login`, per profile name ("" without a profile): memory only.
        self._login_keys: dict[str, str] = {}
        self._client: CML | None = None
        self._settings: Settings | None = None  # what `_client` was built from
        self._client_settings = ""  # settings_fingerprint() when _client was built
        self.names = NameCache()
        self._env_project: str | None = os.environ.get(PROJECT_VARIABLE)  # before ours
        self._env_profile: str | None = os.environ.get(PROFILE_VARIABLE)
        super().__init__(shell=shell, **kwargs)
        self._hide_key_settings()

    def update_config(self, config: Any) -> None:
        """`%config CMLMagics.legacy_api_key = ...`: the key is hidden in `config` first, so
        that no config object (ours, the shell's, other configurables') keeps it in clear."""
        _hide_keys_in(config)
        super().update_config(config)
        self._hide_key_settings()

    def _hide_key_settings(self) -> None:
        # `%config` hands the same settings to every configurable of the shell, some before us.
        holders = [self, self.shell, *getattr(self.shell, "configurables", [])]
        for holder in holders:
            config = getattr(holder, "config", None)
            if config is not None:
                _hide_keys_in(config)

    @classmethod
    def class_get_help(cls, inst: Any = None) -> str:
        """`%config CMLMagics` lists the settings, leaving out the legacy key's: the listing
        says nothing about any key."""
        title = f"{cls.__name__}({', '.join(p.__name__ for p in cls.__bases__)}) options"
        shown = [title, "-" * len(title)]
        for _, trait in sorted(cls.class_traits(config=True).items()):
            if not isinstance(trait, KeySetting):
                shown.append(cls.class_get_trait_help(trait, inst))
        return "\n".join(shown)

    @classmethod
    def section_names(cls) -> list[str]:
        # `%config CMLMagic.host = ...` (singular) is accepted as well.
        return ["CMLMagic", *super().section_names()]

    @validate("poll_interval", "watch_interval", "timeout")
    def _positive(self, proposal: Any) -> Any:
        if proposal["value"] <= 0:
            raise TraitError(f"{proposal['trait'].name} must be positive")
        return proposal["value"]

    @validate("page_size")
    def _page_size(self, proposal: Any) -> Any:
        if proposal["value"] < 0:
            raise TraitError("page_size must be 0 (the client chooses) or positive")
        return proposal["value"]

    @observe("host", "verify", "timeout", "project", "legacy_api_key", "model_endpoint", "profile")
    def _settings_changed(self, change: Any) -> None:
        self._client = None
        if change["name"] == "project":
            self._share_project(change["new"] or None)
            return
        if change["name"] == "profile":
            self._share(PROFILE_VARIABLE, change["new"] or None, self._env_profile)
        self.names.clear()

    def _share_project(self, project: str | None) -> None:
        """The default project (`%cml use`, `%config CMLMagics.project`) is also the kernel's
        CML_MAGIC_PROJECT, so that `CML.from_env()` in the notebook (and programs it starts)
        use the same one; unset, the variable is what it was before. The profile
        (`%cml use --profile`) is CML_MAGIC_PROFILE in the same way."""
        self._share(PROJECT_VARIABLE, project, self._env_project)

    @staticmethod
    def _share(variable: str, value: str | None, before: str | None) -> None:
        value = value or before
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value

    def restore_environment(self) -> None:
        """Give CML_MAGIC_PROJECT and CML_MAGIC_PROFILE back the values they had before (on
        `%unload_ext`)."""
        self._share_project(None)
        self._share(PROFILE_VARIABLE, None, self._env_profile)

    @property
    def user_ns(self) -> dict[str, Any]:
        """The notebook's namespace (where `-o NAME` stores results)."""
        if self.shell is None:
            raise usage_error("%cml needs an IPython shell", "bad_command")
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    def client(self) -> CML:
        """The `cml_magic.api.CML` client for the current settings, built on first use and
        again once a variable or the config file it came from changed (a new
        `CML_MAGIC_API_KEY` or `CML_MAGIC_HOST` set in the notebook applies from the next
        command on). Widgets already shown keep the client they were given."""
        from cml_magic.api.config import settings_fingerprint

        settings = settings_fingerprint(profile=self.profile or None)
        if self._client is not None and settings != self._client_settings:
            self._client = None
            self.names.clear()  # names were looked up with the old host or key
        if self._client is None:
            from cml_magic.api import CML, CMLError

            try:
                resolved = self.resolve_settings()
                self._client = CML.from_settings(resolved, timeout=self.timeout)
            except CMLError as exc:
                raise api_error(exc) from None
            self._settings = resolved
            self._client_settings = settings
        return self._client

    def resolve_settings(self, profile: str | None = None, api_key: str | None = None) -> Settings:
        """The settings of this notebook (`%config`, `%cml login`, `%cml use`) over the
        environment's; `profile`: those of another profile (the notebook's own host,
        project, TLS and model endpoint then do not apply). Raises `ConfigError`."""
        from cml_magic.api.config import resolve

        other = profile is not None and profile != (self.profile or None)
        mine = not other
        name = profile if other else self.profile or None
        legacy = self.legacy_api_key.value if self.legacy_api_key and mine else None
        return resolve(
            host=(self.host or None) if mine else None,
            api_key=api_key or self._login_keys.get(self.profile_in_effect(name) or ""),
            project=(self.project or None) if mine else None,
            legacy_api_key=legacy,
            verify=self.verify if mine else None,
            model_endpoint=(self.model_endpoint or None) if mine else None,
            profile=name,
        )

    def profile_in_effect(self, profile: str | None = None) -> str | None:
        """The name of the profile in effect (`profile`, else the setting, else the
        environment's or config file's); None for none. An unreadable file counts as none."""
        from cml_magic.api.config import chosen_profile, config_path, read_config_file
        from cml_magic.api.errors import ConfigError

        try:
            file = read_config_file(config_path(os.environ))
        except ConfigError:
            file = {}
        return chosen_profile(profile or self.profile or None, os.environ, file)

    def ask(self, prompt: str) -> str:
        """Ask for a key with `ask_secret` (default `getpass.getpass`: never echoed, never in the
        notebook or its history); a one-line `UsageError` where nobody can answer."""
        import getpass

        asker: Any = self.ask_secret  # getpass looked up now: a test may give its own
        if asker is None:
            asker = getpass.getpass
        try:
            answer = asker(prompt)
        except (EOFError, OSError, NotImplementedError) as exc:
            # ipykernel's StdinNotImplementedError (papermill, nbconvert) is a NotImplementedError.
            raise usage_error(
                f"cannot ask for the key here ({type(exc).__name__}: no terminal or notebook"
                " input); give it in the environment or the keyring instead",
                "bad_argument",
            ) from None
        key = str(answer or "").strip()
        if not key:
            raise usage_error("no key given; nothing changed", "bad_argument")
        if any(c.isspace() for c in key):
            raise usage_error(
                "the key contains spaces or line breaks; copy it again", "bad_argument"
            )
        return key

    def use_client(self, client: CML, settings: Settings) -> None:
        """Make `client` (built from `settings`, its key checked) the notebook's from now on."""
        from cml_magic.api.config import settings_fingerprint

        self._client = client
        self._settings = settings
        self._client_settings = settings_fingerprint(profile=self.profile or None)
        self.names.clear()

    @property
    def settings(self) -> Settings | None:
        """The settings the current client was built from (None before the first command)."""
        return self._settings if self._client is not None else None

    @line_magic
    def cml(self, line: str) -> Any:
        """Drive CML: ``%cml RESOURCE VERB [options]``; ``%cml help`` lists everything.

        Examples::

            %cml projects list --search demo --limit 50
            df = %cml jobs list --project risk-analysis
            %cml jobs run nightly --env START_DATE=2017-01-01 --wait
            %cml runs list --job nightly --status failed
        """
        from cml_magic.magics import router
        from cml_magic.magics.context import Context

        try:
            parsed = router.parse(line)
            if isinstance(parsed, tuple):  # a session command: help, use, config, login...
                from cml_magic.magics import session

                return session.run(self, *parsed)
            result = self._call(parsed.verb.run, Context(self), parsed.args)
        except HelpRequested as shown:
            print(shown.text)
            return None
        if getattr(parsed.args, "out", None):
            self.user_ns[parsed.args.out] = result
        return result

    @cell_magic
    def cml_job_env(self, line: str, cell: str) -> Any:
        """Start a run of a job with the cell as its environment.

        ``%%cml_job_env JOB [--project P] [--arguments A] [--wait|--watch] [-o NAME]``

        The body is ``KEY=VALUE`` lines in dotenv syntax (comments, quotes, ``export``,
        ``${VAR}`` from the kernel's environment, ``{name}`` from the notebook), or a JSON
        object, or just ``{name}`` naming a dict.
        """
        from cml_magic.magics import jobenv
        from cml_magic.magics.context import Context

        try:
            args = jobenv.parse_line(line)
            environment = jobenv.parse_body(cell, self.user_ns)
            result = self._call(jobenv.start, Context(self), args, environment)
        except HelpRequested as shown:
            print(shown.text)
            return None
        if args.out:
            self.user_ns[args.out] = result
        return result

    @cell_magic
    def cml_file(self, line: str, cell: str) -> Any:
        """Write the cell to a project file, replacing it.

        ``%%cml_file PATH [--project P] [-o NAME]``
        """
        from cml_magic.magics.commands import files
        from cml_magic.magics.context import Context

        try:
            args = files.parse_cell_line(line)
            result = self._call(files.write_cell, Context(self), args, cell)
        except HelpRequested as shown:
            print(shown.text)
            return None
        if args.out:
            self.user_ns[args.out] = result
        return None

    @cell_magic
    def cml_run(self, line: str, cell: str) -> Any:
        """Run the cell on CML as a job run; its output shows here when the run ends.

        ``%%cml_run [--project P] [--job NAME] [--runtime R] [--cpu N] [--memory GB]
        [--gpu N] [--env K=V ...] [--timeout S] [--wait | --watch] [-o NAME]
        [--sweep K=v1,v2,... ...] [--yes]``

        A run that does not succeed fails the cell; ``--sweep`` starts one run per
        combination of the values.
        """
        from cml_magic.magics import cellrun
        from cml_magic.magics.context import Context

        try:
            args = cellrun.parse_line(line)
            return self._call(cellrun.run, Context(self), args, cell)
        except HelpRequested as shown:
            print(shown.text)
            return None

    def _call(self, handler: Any, *args: Any) -> Any:
        """Run a handler, turning API errors into one-line usage errors."""
        try:
            return handler(*args)
        except Exception as exc:
            api = sys.modules.get("cml_magic.api")
            if api is not None and isinstance(exc, api.CMLError):
                from cml_magic.magics.errors import scope_of

                raise api_error(exc, scope_of(self, args)) from None
            raise

    def forget_key(self) -> None:
        """Drop the keys given to this object (`%cml login`, the legacy key's setting) and the
        client built with them."""
        self._login_keys.clear()
        self.legacy_api_key = None
        self._client = None

    def set_key(self, key: str, profile: str | None = None) -> None:
        """Use `key` for `profile` (default: the one in effect) from now on, kept in this object
        only, never in the notebook."""
        if not key.strip():
            raise usage_error("no key given; nothing changed", "bad_argument")
        self._login_keys[self.profile_in_effect(profile) or ""] = key.strip()
        self._client = None
        self.names.clear()

    @property
    def key_from_login(self) -> bool:
        """Whether the key in use was given by `%cml login`."""
        return (self.profile_in_effect() or "") in self._login_keys

    def __repr__(self) -> str:
        return f"<CMLMagics host={self.host!r} project={self.project!r}>"
