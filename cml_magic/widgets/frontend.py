"""Is there a front end that draws ipywidgets? Decides between live widgets and text progress."""

from __future__ import annotations

import os
import sys

ENV_SWITCH = "CML_MAGIC_WIDGETS"


def in_widget_frontend() -> bool:
    """True when widgets shown now will be drawn: a kernel started by a Jupyter server
    (JupyterLab, Notebook) or Colab.

    False in terminal IPython, in plain Python, and in batch runs (nbconvert, papermill, nbval),
    whose kernels are started without a Jupyter server session and never draw widgets.
    `CML_MAGIC_WIDGETS=1` or `=0` overrides the guess (e.g. `1` in VS Code, whose kernels cannot
    be told apart from batch runs).
    """
    forced = os.environ.get(ENV_SWITCH, "").strip().lower()
    if forced in {"1", "true", "yes", "on"}:
        return True
    if forced in {"0", "false", "no", "off"}:
        return False
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    if "google.colab" in sys.modules:
        return True
    # jupyter_server gives each kernel it starts for a notebook JPY_SESSION_NAME; nbclient
    # (nbconvert, nbval, papermill) does not.
    return "JPY_SESSION_NAME" in os.environ
