"""The IPython magics `%cml` and `%%cml_job_env` (registered by `%load_ext cml_magic`).

Only IPython and traitlets are imported here; pandas, ipywidgets, requests and the API
client load on the first command that needs them.
"""

from __future__ import annotations

from typing import Any

from cml_magic.magics.magic import CMLMagics

__all__ = ["CMLMagics", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, their settings (for `%config`) and tab completion."""
    from cml_magic.magics.completion import Completer

    # Magics join `shell.configurables` themselves, which is what `%config` reads.
    magics = CMLMagics(shell=ipython, config=ipython.config)
    ipython.register_magics(magics)
    matcher = Completer(magics).matcher()
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
