"""A cell that waits on a run whose server goes away ends with one line; it does not hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import IPython
import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

from cml_magic.local import LocalCML


def test_waiting_on_a_run_when_the_server_dies_is_one_error(
    local_cml_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server: LocalCML = local_cml_factory(seed="demo", phase_delay=2.0)
    for name in list(os.environ):
        if name.startswith(("CML_MAGIC_", "CDSW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CML_MAGIC_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("CML_MAGIC_HOST", server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", server.api_key)
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "0")
    ip = start_ipython() or IPython.get_ipython()
    for section in ("CMLMagics", "CMLMagic"):
        ip.config.pop(section, None)
    ip.run_line_magic("load_ext", "cml_magic")
    ip.run_line_magic("config", "CMLMagics.poll_interval = 0.05")
    ip.run_line_magic("config", "CMLMagics.timeout = 2.0")
    killer = threading.Timer(1.0, server.kill)  # while the run is still scheduling
    killer.start()
    try:
        # Returning at all is the point: the client's retries give up (about 8 s of back-off).
        with pytest.raises(UsageError) as caught:
            ip.run_line_magic("cml", "jobs run quick-check --project risk-analysis --wait")
    finally:
        killer.cancel()
        ip.run_line_magic("unload_ext", "cml_magic")
        for section in ("CMLMagics", "CMLMagic"):
            ip.config.pop(section, None)
    message = str(caught.value)
    assert "\n" not in message and server.api_key not in message
    assert "reach" in message or "answer" in message, message
