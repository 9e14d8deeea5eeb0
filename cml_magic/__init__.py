"""cml_magic: drive Cloudera Machine Learning (CML) from IPython and Jupyter.

`%load_ext cml_magic` registers `%cml` and `%%cml_job_env`. Nothing heavy is
imported here: pandas, ipywidgets and the HTTP client load on first use, so
loading the extension stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics with `ipython` (called by `%load_ext cml_magic`)."""
    from cml_magic.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Undo `load_ipython_extension` (called by `%unload_ext cml_magic`)."""
    from cml_magic.magics import unload_ipython_extension as unload

    unload(ipython)
