"""The test support package keeps its promises: a cell's error fails the test, and a missing
spec skips a test where the test is set up, never from inside a request hook."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from support import swagger
from support.shell import shown


def test_a_cells_error_is_raised(ip: InteractiveShell) -> None:
    with pytest.raises(NameError):
        ip.run_cell("df = name_nobody_defined")
    assert "df" not in ip.user_ns


def test_a_magics_usage_error_in_a_cell_is_raised(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="did you mean jobs"):
        ip.run_cell("df = %cml jbos list")


def test_a_cell_that_works_returns_its_result(ip: InteractiveShell) -> None:
    assert ip.run_cell("x = 6 * 7").success
    assert ip.user_ns["x"] == 42


def test_shown_shows_the_error_as_a_front_end_does(ip: InteractiveShell) -> None:
    with capture_output() as captured:
        result = shown(ip, "%cml jbos list")
    assert isinstance(result.error_in_exec, UsageError)
    assert "did you mean jobs" in captured.stderr


def test_without_the_spec_a_recorder_skips_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CML_SWAGGER", "/nonexistent/cml_swagger.json")
    with pytest.raises(pytest.skip.Exception, match="CML_SWAGGER"):
        swagger.Recorder()
