"""`CMLMagics`: the `%cml` line magic, the `%%cml_job_env` cell magic and their settings."""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from traitlets import Bool, Float, Int, TraitError, Unicode, Union, observe, validate
from traitlets.config import Configurable

from cml_magic.magics.errors import HelpRequested, api_error, usage_error
from cml_magic.magics.names import NameCache


@magics_class
class CMLMagics(Magics, Configurable):
    """Drive Cloudera Machine Learning from IPython: ``%cml`` and ``%%cml_job_env``.

    Settings are traits: ``%config CMLMagics.host = 'https://ml.example.com'`` or, in
    ``ipython_config.py``, ``c.CMLMagics.display_limit = 50``. Unset ones fall back to
    ``CML_MAGIC_*``, then the CML session's ``CDSW_*`` variables, then the config file.
    The API key is not a setting: it comes from the environment, the config file or
    ``%cml login``.
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
    poll_interval = Float(2.0, config=True, help="seconds between status checks while waiting")
    verify = Union(
        [Bool(), Unicode()],
        default_value=None,
        allow_none=True,
        config=True,
        help="TLS: True, False, or a CA bundle path (default: environment, else True)",
    )
    timeout = Float(30.0, config=True, help="seconds each HTTP call may take, retries included")

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # Set before the traits: settings from the config observe these.
        self._api_key: str | None = None
        self._client: Any = None
        self.names = NameCache()
        super().__init__(shell=shell, **kwargs)

    @classmethod
    def section_names(cls) -> list[str]:
        # `%config CMLMagic.host = ...` (singular) is accepted as well.
        return ["CMLMagic", *super().section_names()]

    @validate("poll_interval", "timeout")
    def _positive(self, proposal: Any) -> Any:
        if proposal["value"] <= 0:
            raise TraitError(f"{proposal['trait'].name} must be positive")
        return proposal["value"]

    @validate("page_size")
    def _page_size(self, proposal: Any) -> Any:
        if proposal["value"] < 0:
            raise TraitError("page_size must be 0 (the client chooses) or positive")
        return proposal["value"]

    @observe("host", "verify", "timeout", "project")
    def _settings_changed(self, change: Any) -> None:
        self._client = None
        if change["name"] != "project":
            self.names.clear()

    @property
    def user_ns(self) -> dict[str, Any]:
        """The notebook's namespace (where `-o NAME` stores results)."""
        if self.shell is None:
            raise usage_error("%cml needs an IPython shell", "bad_command")
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    def client(self) -> Any:
        """The `cml_magic.api.CML` client for the current settings, built on first use."""
        if self._client is None:
            from cml_magic.api import CML, CMLError

            given = {
                "host": self.host or None,
                "api_key": self._api_key,
                "project": self.project or None,
                "verify": self.verify,
                "timeout": self.timeout,
            }
            try:
                self._client = CML.from_env(**{k: v for k, v in given.items() if v is not None})
            except CMLError as exc:
                raise api_error(exc) from None
        return self._client

    @line_magic
    def cml(self, line: str) -> Any:
        """Drive CML: ``%cml RESOURCE VERB [options]``; ``%cml help`` lists everything.

        Examples::

            %cml projects list --search demo --limit 50
            df = %cml jobs list --project risk-analysis
            %cml jobs run nightly --env START_DATE=2017-01-01 --wait
            %cml runs list --job nightly --status failed
        """
        from cml_magic.magics import router, session
        from cml_magic.magics.context import Context

        try:
            parsed = router.parse(line)
            if isinstance(parsed, tuple):
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

    def _call(self, handler: Any, *args: Any) -> Any:
        """Run a handler, turning API errors into one-line usage errors."""
        try:
            return handler(*args)
        except Exception as exc:
            api = sys.modules.get("cml_magic.api")
            if api is not None and isinstance(exc, api.CMLError):
                raise api_error(exc) from None
            raise

    def forget_key(self) -> None:
        """Drop the key given by `%cml login` and the client built with it."""
        self._api_key = None
        self._client = None

    def set_key(self, key: str) -> None:
        """Use `key` from now on (kept in this object only, never in the notebook)."""
        if not key.strip():
            raise usage_error("no key given; nothing changed", "bad_argument")
        self._api_key = key.strip()
        self._client = None
        self.names.clear()

    @property
    def key_from_login(self) -> bool:
        """Whether the key in use was given by `%cml login`."""
        return self._api_key is not None

    def __repr__(self) -> str:
        return f"<CMLMagics host={self.host!r} project={self.project!r}>"
