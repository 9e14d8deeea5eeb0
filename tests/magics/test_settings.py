"""Settings are traits on a Configurable: %config, ipython_config.py, and never the key."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from traitlets.config import Config

from cml_magic.magics import CMLMagics


def test_config_magic_sets_traits_under_both_spellings(ip: Any, magics: Any) -> None:
    ip.run_line_magic("config", "CMLMagics.display_limit = 5")
    ip.run_line_magic("config", "CMLMagic.page_size = 7")
    ip.run_line_magic("config", "CMLMagics.host = 'https://ml.example.com'")
    ip.run_line_magic("config", "CMLMagics.verify = False")
    assert (magics.display_limit, magics.page_size) == (5, 7)
    assert magics.host == "https://ml.example.com"
    assert magics.verify is False


def test_config_magic_rejects_bad_values(ip: Any, magics: Any) -> None:
    with capture_output():
        ip.run_line_magic("config", "CMLMagics.page_size = -1")
        ip.run_line_magic("config", "CMLMagics.poll_interval = -1")
    assert magics.page_size == 0
    assert magics.poll_interval == 2.0


def test_config_listing_shows_settings_but_no_key(ip: Any) -> None:
    with capture_output() as captured:
        ip.run_line_magic("config", "CMLMagics")
    out = captured.stdout
    for trait in (
        "host",
        "project",
        "page_size",
        "display_limit",
        "poll_interval",
        "verify",
        "timeout",
    ):
        assert f"CMLMagics.{trait}" in out
    assert "key" not in out.lower()


def test_ipython_config_file_settings_apply(ip: Any) -> None:
    config = Config()
    config.CMLMagics.display_limit = 3
    config.CMLMagic.poll_interval = 0.5  # the singular spelling of the issue
    magics = CMLMagics(shell=ip, config=config)
    assert magics.display_limit == 3
    assert magics.poll_interval == 0.5


def test_login_reads_the_key_with_getpass_and_never_shows_it(
    cml_ip: Any, magics: Any, magic_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key is checked with CML before it is kept: a real one, of the test server.
    ip = cml_ip
    secret = magic_server.api_key
    monkeypatch.delenv("CML_MAGIC_API_KEY")
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return secret + "\n"

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    with capture_output() as captured:
        ip.run_line_magic("cml", "login")
    assert prompts == ["CML API key: "]
    assert magics.key_from_login
    assert secret not in captured.stdout + captured.stderr
    assert secret not in repr(magics)
    assert secret not in str(magics.trait_values())
    with capture_output() as captured:
        ip.run_line_magic("cml", "logout")
    assert not magics.key_from_login


def test_login_refuses_an_empty_key(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "  ")
    with pytest.raises(UsageError, match="no key given"):
        ip.run_line_magic("cml", "login")


def test_use_clear_forgets_the_project(ip: Any, magics: Any) -> None:
    magics.project = "risk-analysis"
    with capture_output() as captured:
        ip.run_line_magic("cml", "use --clear")
    assert magics.project is None
    assert "No default project" in captured.stdout


def test_unload_removes_magics_configurable_and_completion(ip: Any) -> None:
    magics = ip._cml_magics
    ip.run_line_magic("unload_ext", "cml_magic")
    try:
        assert "cml" not in ip.magics_manager.magics["line"]
        assert "cml_job_env" not in ip.magics_manager.magics["cell"]
        assert magics not in ip.configurables
        assert not any("cml" in repr(m) for m in ip.Completer.custom_matchers)
    finally:
        ip.run_line_magic("load_ext", "cml_magic")


def test_watch_interval_paces_watch_and_poll_interval_paces_wait(cml_ip: Any) -> None:
    from cml_magic.widgets import get_poller

    poller = get_poller()
    before = poller.interval
    try:
        with capture_output():
            cml_ip.run_line_magic("config", "CMLMagics.watch_interval = 0.25")
            cml_ip.run_line_magic("config", "CMLMagics.watch_interval = 0")  # refused
            cml_ip.run_line_magic("config", "CMLMagics.poll_interval = 0.5")
            run = cml_ip.run_line_magic("cml", "jobs run nightly --project risk-analysis --watch")
        assert run.finished
        assert poller.interval == 0.25  # --watch used the shared poller at watch_interval
        with capture_output() as listed:
            cml_ip.run_line_magic("cml", "config")
        assert "watch_interval 0.25" in listed.stdout
        assert "poll_interval  0.5" in listed.stdout
    finally:
        poller.interval = before
