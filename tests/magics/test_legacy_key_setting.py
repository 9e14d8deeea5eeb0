"""The legacy (API v1) key in the magics: `%config CMLMagics.legacy_api_key`, `%cml login
--legacy`, CML_MAGIC_LEGACY_API_KEY or CDSW_API_KEY; never the v2 key, never shown."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

START_V1 = "jobs start-v1 alice/risk-analysis/208"


@pytest.fixture
def v2_only(cml_ip: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """alice's shell with her v2 key only."""
    monkeypatch.delenv("CML_MAGIC_LEGACY_API_KEY")
    return cml_ip


def _start_v1_and_wait(shell: Any, api: Any) -> str:
    with capture_output() as captured:
        engine_id: str = shell.run_line_magic("cml", START_V1)
    run = api.runs.get(engine_id, "nightly", project="risk-analysis")
    api.wait_for_run(run, timeout=30, poll_interval=0.05)
    return captured.stdout + captured.stderr


def test_a_v1_call_without_the_legacy_key_is_one_line_saying_where_it_is(
    v2_only: Any, magic_server: Any
) -> None:
    for line in (START_V1, "jobs show 208 --project risk-analysis"):
        with pytest.raises(UsageError) as caught:
            v2_only.run_line_magic("cml", line)
        message = str(caught.value)
        assert caught.value.kind == "not_configured"
        assert "\n" not in message and magic_server.api_key not in message
        assert "%config CMLMagics.legacy_api_key" in message
        assert "CML_MAGIC_LEGACY_API_KEY" in message and "CDSW_API_KEY" in message
        assert "User Settings > API Keys > Legacy API Key" in message


def test_config_sets_the_legacy_key_and_never_shows_it(
    v2_only: Any, magics: Any, magic_server: Any, api: Any
) -> None:
    key = magic_server.legacy_api_key
    v2_only.user_ns["legacy"] = key
    v2_only.run_line_magic("config", "CMLMagics.legacy_api_key = legacy")
    out = _start_v1_and_wait(v2_only, api)
    assert key not in out
    with capture_output() as captured:
        shown = v2_only.run_line_magic("config", "CMLMagics.legacy_api_key")
        v2_only.run_line_magic("config", "CMLMagics")
        v2_only.run_line_magic("cml", "config")
    text = captured.stdout + captured.stderr + repr(shown) + str(shown) + repr(magics)
    text += str(magics.trait_values())
    # `%config` hands its settings to every configurable of the shell: none keeps the key.
    text += repr(v2_only.config) + "".join(repr(c.config) for c in v2_only.configurables)
    assert key not in text and key[:8] not in text
    assert "legacy key     ********  set (by %config" in captured.stdout


def test_a_bad_legacy_key_setting_is_refused_without_quoting_it(v2_only: Any, magics: Any) -> None:
    with capture_output() as captured:
        v2_only.run_line_magic("config", "CMLMagics.legacy_api_key = 'two words-secret'")
        v2_only.run_line_magic("config", "CMLMagics.legacy_api_key = 12345678")
    assert magics.legacy_api_key is None
    assert "secret" not in captured.stdout + captured.stderr
    assert "12345678" not in captured.stdout + captured.stderr


def test_login_legacy_reads_it_with_getpass(
    v2_only: Any, magics: Any, magic_server: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return magic_server.legacy_api_key + "\n"

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    with capture_output() as captured:
        v2_only.run_line_magic("cml", "login --legacy")
    assert prompts == ["CML legacy API key: "]
    assert "Legacy key kept in memory" in captured.stdout
    assert magic_server.legacy_api_key not in _start_v1_and_wait(v2_only, api)
    with capture_output():
        v2_only.run_line_magic("cml", "logout")
    assert magics.legacy_api_key is None
    with pytest.raises(UsageError, match="legacy API key"):
        v2_only.run_line_magic("cml", START_V1)


def test_inside_a_cml_workload_cdsw_api_key_is_the_legacy_key(
    v2_only: Any, magic_server: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDSW_API_KEY", magic_server.legacy_api_key)
    _start_v1_and_wait(v2_only, api)
    with capture_output() as captured:
        v2_only.run_line_magic("cml", "config")
    assert "legacy key     ********  set (from the environment" in captured.stdout
    assert magic_server.legacy_api_key not in captured.stdout


def test_the_v2_key_given_as_the_legacy_key_is_refused_by_the_server(
    v2_only: Any, magic_server: Any
) -> None:
    v2_only.user_ns["wrong"] = magic_server.api_key
    v2_only.run_line_magic("config", "CMLMagics.legacy_api_key = wrong")
    with pytest.raises(UsageError) as caught:
        v2_only.run_line_magic("cml", START_V1)
    assert "401" in str(caught.value) and magic_server.api_key not in str(caught.value)
