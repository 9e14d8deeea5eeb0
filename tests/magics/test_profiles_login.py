"""Workspace profiles, `%cml login` and `%cml whoami` through IPython, against the local server:
the key from the profile's variable, the keyring or the question (never the line), checked with
ValidateAPIKey before it is kept, and never shown."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from cml_magic.api import keystore


@pytest.fixture
def profiles(ip: Any, magic_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file with three profiles of the test server: `alice` (her key in ALICE_KEY),
    `bob` (his in BOB_KEY) and `nokey` (its variable unset)."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[profiles.alice]\nhost = "{magic_server.url}"\napi_key_env = "ALICE_KEY"\n'
        f'project = "risk-analysis"\n'
        f'[profiles.bob]\nhost = "{magic_server.url}"\napi_key_env = "BOB_KEY"\n'
        f'[profiles.nokey]\nhost = "{magic_server.url}"\napi_key_env = "UNSET_KEY_VAR"\n'
    )
    monkeypatch.setenv("CML_MAGIC_CONFIG", str(path))
    monkeypatch.setenv("ALICE_KEY", magic_server.api_key)
    monkeypatch.setenv("BOB_KEY", magic_server.keys["bob"])
    monkeypatch.delenv("UNSET_KEY_VAR", raising=False)
    return path


@pytest.fixture
def answers(ip: Any) -> Callable[..., list[str]]:
    """`answers(*keys)`: what the key question answers, in turn (set with %config, as a
    front end would); returns the prompts asked."""

    def give(*keys: str) -> list[str]:
        given, prompts = list(keys), []

        def answer(prompt: str) -> str:
            prompts.append(prompt)
            return given.pop(0)

        ip.user_ns["_test_answer"] = answer
        ip.run_line_magic("config", "CMLMagics.ask_secret = _test_answer")
        return prompts

    return give


def run(ip: Any, line: str) -> str:
    with capture_output() as captured:
        ip.run_line_magic("cml", line)
    return captured.stdout


def test_use_profile_switches_the_notebooks_client(
    ip: Any, magics: Any, profiles: Path, magic_server: Any, no_keyring: Any
) -> None:
    shown = run(ip, "use --profile alice")
    assert "Using profile alice" in shown and "the key from ALICE_KEY" in shown
    assert run(ip, "whoami").strip() == f"alice on {magic_server.url} (profile alice)"
    alice_client = magics.client()
    assert magics.project is None and alice_client.project == "risk-analysis"
    run(ip, "use --profile bob")
    assert magics.client() is not alice_client  # the cached client is replaced
    assert run(ip, "whoami").strip() == f"bob on {magic_server.url} (profile bob)"
    shown = run(ip, "config")
    assert "profile        bob (by %cml use --profile or %config)" in shown
    assert "api key        ********  set (from BOB_KEY)" in shown
    assert f"config file    {profiles}" in shown
    assert "the workspace with %cml use --profile alice|bob|nokey." in shown
    assert magic_server.keys["bob"] not in shown and magic_server.api_key not in shown
    # The notebook's own clients follow: the profile is the kernel's CML_MAGIC_PROFILE.
    ip.run_cell("from cml_magic.api import CML\nwho = CML.from_env().whoami().username")
    assert ip.user_ns["who"] == "bob"
    ip.run_line_magic("unload_ext", "cml_magic")
    try:
        assert "CML_MAGIC_PROFILE" not in os.environ
    finally:
        ip.run_line_magic("load_ext", "cml_magic")


def test_use_profile_refuses_unknown_profiles_in_one_line(
    ip: Any, magics: Any, profiles: Path
) -> None:
    with pytest.raises(UsageError, match=r"no profile 'qa' in .*\(profiles: alice, bob, nokey\)"):
        ip.run_line_magic("cml", "use --profile qa")
    with pytest.raises(UsageError, match="takes one profile name"):
        ip.run_line_magic("cml", "use --profile")
    assert magics.profile is None


def test_a_profile_without_a_key_asks_for_it_and_checks_it(
    ip: Any, magics: Any, profiles: Path, magic_server: Any, answers: Any, no_keyring: Any
) -> None:
    prompts = answers("not-a-key-" + uuid.uuid4().hex)
    with pytest.raises(UsageError, match="refused the key .*401.*nothing kept"):
        ip.run_line_magic("cml", "use --profile nokey")
    assert prompts == ["CML API key for profile nokey: "]
    assert magics.profile is None and not magics.key_from_login  # nothing kept
    answers(magic_server.api_key)
    shown = run(ip, "use --profile nokey")
    assert shown.strip() == (
        f"Using profile nokey from now on in this notebook: alice on {magic_server.url}"
        " (profile nokey)."
    )
    assert magics.key_from_login and magic_server.api_key not in shown
    assert run(ip, "whoami").strip().startswith("alice on")


def test_where_nobody_can_answer_the_error_is_one_line(
    ip: Any, profiles: Path, no_keyring: Any
) -> None:
    def no_input(prompt: str) -> str:
        raise EOFError

    ip.user_ns["_no_input"] = no_input
    ip.run_line_magic("config", "CMLMagics.ask_secret = _no_input")
    with pytest.raises(UsageError, match="cannot ask for the key here"):
        ip.run_line_magic("cml", "use --profile nokey")


def test_login_checks_the_key_before_keeping_it(
    ip: Any, magics: Any, profiles: Path, magic_server: Any, answers: Any, no_keyring: Any
) -> None:
    bad = "wrong-key-" + uuid.uuid4().hex
    answers(bad)
    with pytest.raises(UsageError, match="refused the key") as caught:
        ip.run_line_magic("cml", "login --profile bob")
    assert bad not in str(caught.value)
    assert magics.profile is None and not magics.key_from_login
    prompts = answers(magic_server.keys["bob"])
    shown = run(ip, "login --profile bob")
    assert prompts == ["CML API key for profile bob: "]
    assert shown.strip() == f"Logged in as bob on {magic_server.url} (profile bob)."
    assert magics.profile == "bob" and magics.key_from_login
    assert "set (by %cml login)" in run(ip, "config")
    # Back and forth: each profile keeps the key it was logged in with.
    run(ip, "use --profile alice")
    assert "the key from %cml login" in run(ip, "use --profile bob")
    assert run(ip, "whoami").startswith("bob on")


def test_login_never_takes_the_key_on_the_line(ip: Any, profiles: Path, magic_server: Any) -> None:
    typed = "a-key-typed-on-the-line-" + uuid.uuid4().hex  # one nobody knows: not masked
    for line in (f"login {typed}", f"login --profile bob {typed}", f"login --save {typed}"):
        with pytest.raises(UsageError, match="never put the key on the line") as caught:
            ip.run_line_magic("cml", line)
        assert typed not in str(caught.value) and typed[-12:] not in str(caught.value)


def test_login_save_keeps_the_key_in_the_keyring(
    ip: Any, magics: Any, profiles: Path, magic_server: Any, answers: Any, system_keyring: Any
) -> None:
    answers(magic_server.api_key)
    shown = run(ip, "login --profile nokey --save")
    assert "saved in the system keyring (cml_magic, nokey)" in shown
    assert keystore.lookup("nokey") == magic_server.api_key
    # A fresh notebook finds it there, with no question asked.
    ip.run_line_magic("cml", "logout")
    magics.profile = None
    answers()  # any question would fail the test
    assert "the key from the keyring" in run(ip, "use --profile nokey")
    assert "set (from the keyring)" in run(ip, "config")
    shown = run(ip, "logout --keyring")
    assert "Removed the key kept in the system keyring for nokey." in shown
    assert keystore.lookup("nokey") is None
    assert "kept no key for nokey" in run(ip, "logout --keyring")


def test_login_save_without_a_keyring_asks_nothing(
    ip: Any, profiles: Path, answers: Any, no_keyring: Any
) -> None:
    prompts = answers()
    with pytest.raises(UsageError, match=r"--save: no system keyring: install it with pip"):
        ip.run_line_magic("cml", "login --profile bob --save")
    assert prompts == []


def test_whoami_without_a_profile(cml_ip: Any, magic_server: Any) -> None:
    assert run(cml_ip, "whoami").strip() == f"alice on {magic_server.url} (no profile)"


def test_profile_names_complete(ip: Any, profiles: Path) -> None:
    from IPython.core.completer import provisionalcompleter

    def complete(line: str) -> list[str]:
        with provisionalcompleter():
            return [c.text for c in ip.Completer.completions(line, len(line))]

    assert complete("%cml use --profile ") == ["alice", "bob", "nokey"]
    assert complete("%cml login --profile b") == ["bob"]
    assert "--profile" in complete("%cml use --pro") and "--save" in complete("%cml login --s")
    assert {"keys", "usage", "workloads", "whoami"} <= set(complete("%cml "))
