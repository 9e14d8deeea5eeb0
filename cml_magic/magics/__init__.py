"""The IPython magics `%cml` and `%%cml_job_env` (registered by `%load_ext cml_magic`).

Only IPython and traitlets are imported here; pandas, ipywidgets, requests and the API
client load on the first command that needs them.
"""

from __future__ import annotations

from typing import Any

from cml_magic.magics.magic import CMLMagics

__all__ = ["CMLMagics", "load_ipython_extension", "unload_ipython_extension"]

_COMPLETION_KEYS = ("%cml", "%%cml_job_env")


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, their settings (for `%config`) and tab completion."""
    from cml_magic.magics.completion import Completer

    # Magics join `shell.configurables` themselves, which is what `%config` reads.
    magics = CMLMagics(shell=ipython, config=ipython.config)
    ipython.register_magics(magics)
    completer = Completer(magics)
    for key in _COMPLETION_KEYS:
        ipython.set_hook("complete_command", completer, str_key=key)
    ipython._cml_magics = magics


def unload_ipython_extension(ipython: Any) -> None:
    """Remove what `load_ipython_extension` added."""
    magics = getattr(ipython, "_cml_magics", None)
    if magics is None:
        return
    for kind in ("line", "cell"):
        for name in magics.magics[kind]:
            ipython.magics_manager.magics[kind].pop(name, None)
    ipython.configurables[:] = [c for c in ipython.configurables if c is not magics]
    dispatcher = getattr(ipython, "strdispatchers", {}).get("complete_command")
    if dispatcher is not None:
        for key in _COMPLETION_KEYS:
            dispatcher.strs.pop(key, None)
    del ipython._cml_magics
