"""`cml_magic.api.masking`: which names are secret, which forms of a key and of a secret
assignment are found in text, and what an environment map shows."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from cml_magic.api import CML
from cml_magic.api.masking import (
    MASK,
    PIECE,
    excerpt,
    is_secret,
    known_keys,
    mask_environment,
    mask_text,
)


@pytest.fixture
def key() -> str:
    """A fresh key, known to the process as a client's key is."""
    made = secrets.token_urlsafe(40)
    CML("http://127.0.0.1:9", made).close()  # a client remembers its keys; no request sent
    return made


@pytest.mark.parametrize(
    "name",
    ["CML_USER_PW", "DB_PW", "MYSQL_PWD", "PWD_HASH", "GITHUB_PAT", "PAT", "HTTP_AUTH",
     "Authorization", "x-api-key", "spark.hadoop.fs.s3a.secret.key", "api_token"],
)  # fmt: skip
def test_the_names_the_old_rule_missed_are_secret(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", ["PWD", "OLDPWD", "PATH", "PATTERN", "AUTHOR", "HOME", "LANG"])
def test_ordinary_names_stay_visible(name: str) -> None:
    assert not is_secret(name)


def test_a_known_key_is_hidden_in_every_form(key: str) -> None:
    basic = base64.b64encode((key + ":").encode()).decode()
    inner = base64.b64encode(b"user:" + key.encode()).decode()  # another alignment
    text = "\n".join(
        [
            f"plain {key} end",
            f"Authorization: Bearer {key}",
            f"<pre>Authorization: Basic {basic}</pre>",
            f"cut {basic[: PIECE + 3]}",
            f"pieces {key[:PIECE]} {key[5 : 5 + PIECE + 4]} {key[-PIECE:]}",
            f"inside base64 {inner}",
        ]
    )
    shown = mask_text(text)
    assert inner[12 : 12 + PIECE] not in shown
    assert key[:PIECE] not in shown and key[-PIECE:] not in shown and basic[:PIECE] not in shown
    assert key[12 : 12 + PIECE] not in shown
    assert f"plain {MASK} end" in shown and f"Bearer {MASK}" in shown and f"cut {MASK}" in shown


def test_keys_of_the_process_environment_are_known(monkeypatch: pytest.MonkeyPatch) -> None:
    session_key = secrets.token_urlsafe(30)
    monkeypatch.setenv("CDSW_APIV2_KEY", session_key)
    assert session_key in known_keys()
    assert mask_text(f"given {session_key}") == f"given {MASK}"


def test_secret_values_are_hidden_in_each_text_form() -> None:
    env = {"CML_USER_PW": "pw 1", "GITHUB_PAT": "ghp_x", "REGION": "emea", "PWD": "/home/cdsw"}
    forms = [
        "\n".join(f"{k}={v}" for k, v in env.items()),  # env, dotenv
        f"environ({env!r})",  # print(os.environ)
        json.dumps(env),
        json.dumps(env, indent=2),
    ]
    for text in forms:
        shown = mask_text(text)
        assert "pw 1" not in shown and "ghp_x" not in shown, shown
        assert shown.count(MASK) == 2 and "emea" in shown and "/home/cdsw" in shown, shown
    assert mask_text("CML_USER_PW: hunter2") == f"CML_USER_PW: {MASK}"  # YAML
    assert mask_text("export CML_USER_PW='pw 1'") == f"export CML_USER_PW={MASK}"
    assert mask_text("postgres://bob:hunter2@db:5432/x") == f"postgres://bob:{MASK}@db:5432/x"
    assert mask_text('{"PIN_PASS": 1234, "N": 1}') == f'{{"PIN_PASS": {MASK}, "N": 1}}'


def test_prose_stays_readable() -> None:
    for text in (
        "no CML API key: pass api_key=, or set CML_MAGIC_API_KEY",
        "bad credentials: check them",
        "2 tokens left",
        "--env: expected KEY=VALUE with KEY made of letters",
    ):
        assert mask_text(text) == text


def test_an_environment_hides_secret_names_and_values_holding_a_key(key: str) -> None:
    shown = mask_environment(
        {"FOO": key, "BAR": f"x-{key}", "URL": "https://u:p@h", "DB_PW": "x", "N": 3}
    )
    assert shown == {"FOO": MASK, "BAR": MASK, "URL": MASK, "DB_PW": MASK, "N": "3"}
    assert mask_environment(None) == {}


def test_an_excerpt_is_masked_before_it_is_cut(key: str) -> None:
    page = "x" * 293 + key + " and more"
    cut_first = mask_text(page[:300])
    assert key[:7] in cut_first  # seven characters: too few to be told from other text
    shown = excerpt(page, 300)
    assert len(shown) <= 300 and key[:7] not in shown and MASK in shown
