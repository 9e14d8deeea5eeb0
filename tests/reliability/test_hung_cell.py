"""A cell that waits on a run whose server goes away ends with one line; it does not hang."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from IPython.core.error import UsageError

from cml_magic.local import LocalCML


def test_waiting_on_a_run_when_the_server_dies_is_one_error(
    local_cml_factory: Any, cml_settings: Any, load_magics: Any
) -> None:
    server: LocalCML = local_cml_factory(seed="demo", phase_delay=2.0)
    cml_settings(server.url, server.api_key, WIDGETS="0")
    ip = load_magics(poll_interval=0.05, timeout=2.0)
    killer = threading.Timer(1.0, server.kill)  # while the run is still scheduling
    killer.start()
    try:
        # Returning at all is the point: the client's retries give up (about 8 s of back-off).
        with pytest.raises(UsageError) as caught:
            ip.run_line_magic("cml", "jobs run quick-check --project risk-analysis --wait")
    finally:
        killer.cancel()
    message = str(caught.value)
    assert "\n" not in message and server.api_key not in message
    assert "reach" in message or "answer" in message, message
