"""The IPython magics `%cml` and `%%cml_job_env` (registered by `%load_ext cml_magic`).

Only IPython and traitlets are imported here; pandas, ipywidgets, requests and the API
client load on the first command that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cml_magic.magics.magic import CMLMagics

if TYPE_CHECKING:
    from cml_magic.magics.completion import Completer

__all__ = [
    "CMLMagics",
    "completion_matcher",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, their settings (for `%config`) and tab completion."""
    # Magics join `shell.configurables` themselves, which is what `%config` reads.
    magics = CMLMagics(shell=ipython, config=ipython.config)
    ipython.register_magics(magics)
    matcher = completion_matcher(magics)
    ipython.Completer.custom_matchers.append(matcher)
    ipython._cml_magics = magics
    ipython._cml_matcher = matcher


def unload_ipython_extension(ipython: Any) -> None:
    """Remove what `load_ipython_extension` added."""
    magics = getattr(ipython, "_cml_magics", None)
    if magics is None:
        return
    magics.restore_environment()
    for kind in ("line", "cell"):
        for name in magics.magics[kind]:
            ipython.magics_manager.magics[kind].pop(name, None)
    ipython.configurables[:] = [c for c in ipython.configurables if c is not magics]
    matchers = ipython.Completer.custom_matchers
    matchers[:] = [m for m in matchers if m is not ipython._cml_matcher]
    del ipython._cml_magics, ipython._cml_matcher


def completion_matcher(magics: CMLMagics) -> Any:
    """An IPython matcher (for `Completer.custom_matchers`) that answers `%cml`, `%%cml_job_env`
    and `%%cml_run` lines with a `completion.Completer`, loaded on the first Tab on one (a
    notebook that never completes such a line never loads it).

    It suppresses IPython's other matchers on those lines, so Python names and keywords do not
    crowd out flags and verbs.
    """
    from IPython.core.completer import SimpleCompletion, context_matcher

    completer: Completer | None = None

    @context_matcher()  # type: ignore[untyped-decorator]
    def match_cml(context: Any) -> dict[str, Any]:
        nonlocal completer
        text = context.line_with_cursor.lstrip()
        if not text.startswith(("%cml ", "%%cml_job_env ", "%%cml_run ")):
            return {"completions": [], "suppress": False}
        if completer is None:
            from cml_magic.magics.completion import Completer

            completer = Completer(magics)
        try:
            words = completer.complete(text)
        except Exception:  # noqa: BLE001 - completion must never break typing
            words = []
        found = [SimpleCompletion(w, type="cml") for w in words if w.startswith(context.token)]
        return {"completions": found, "suppress": bool(found)}

    return match_cml
