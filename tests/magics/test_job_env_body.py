"""The `%%cml_job_env` body: dotenv lines, JSON, {name}; bad lines with their number."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from cml_magic.magics.envbody import parse_body


def test_dotenv_syntax(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNEL_HOME", "/home/cdsw")
    body = (
        "# the period to analyse\n"
        "export START_DATE=2017-01-01\n"
        "\n"
        'END_DATE="2017-01-31"  # inline comment\n'
        "OUT=${KERNEL_HOME}/out\n"
        "EMPTY=\n"
        'NOTE="two\nlines"\n'
        "QUOTED='it\\'s'\n"
    )
    env = parse_body(body, {})
    assert env["START_DATE"] == "2017-01-01"
    assert env["END_DATE"] == "2017-01-31"
    assert env["OUT"] == "/home/cdsw/out"
    assert env["EMPTY"] == ""
    assert env["NOTE"] == "two\nlines"
    assert env["QUOTED"] == "it's"


def test_names_from_the_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    class Run:
        id = "abcd1234efgh5678"

    monkeypatch.setenv("REGION", "emea")
    env = parse_body(
        "START={start}\nRUN={run.id}\nMIX=${REGION}-{n}\nLITERAL={{not_a_name}}\n",
        {"start": "2017-01-01", "run": Run(), "n": 3},
    )
    assert env == {
        "START": "2017-01-01",
        "RUN": "abcd1234efgh5678",
        "MIX": "emea-3",
        "LITERAL": "{not_a_name}",
    }


def test_json_object_and_dict_variable() -> None:
    assert parse_body('{"A": "x", "B": 2, "C": true, "D": 1.5}', {}) == {
        "A": "x",
        "B": "2",
        "C": "true",
        "D": "1.5",
    }
    assert parse_body("{params}", {"params": {"A": 1}}) == {"A": "1"}
    assert parse_body("  \n", {}) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A=1\nB=2\nthis is not an assignment\n", "line 3: expected KEY=VALUE"),
        ("A=1\n\nLONELY\n", "line 3: 'LONELY' has no value"),
        ("1A=2\n", "line 1: expected KEY=VALUE"),
        ("A=1\nB={missing}\n", "line 2: {missing} is not defined"),
        ('A=1\nB="never closed\nC=3\n', 'line 2: the " quote is never closed'),
        ('J="first\nE={missing}\nlast"\n', "line 2: {missing} is not defined"),
        ('{"A": 1,\n "B": }', "line 2: not valid JSON"),
        ('{"A": [1, 2]}', "A: a value must be a string, number or boolean"),
        ('{"bad-name": 1}', "bad variable name 'bad-name'"),
        ("{text}", "{text} alone must name a dict"),
        # python-dotenv cannot read these: it would skip them with a logged warning.
        ("A=1\nNOTE='two' words\n", "line 2: text after the closing ' quote"),
        ('A="one\ntwo" three\nB=2\n', 'line 2: text after the closing " quote'),
        ("A='ends in a backslash\\'\nB=2\n", "line 1: the ' quote is never closed"),
        ("A=1\n\n\nB C\n", "line 4: expected KEY=VALUE"),
    ],
)
def test_bad_bodies_name_the_line(body: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_body(body, {"text": "abc"})
    assert message in str(caught.value)
    assert caught.value.kind == "bad_body"


def test_cell_magic_rejects_a_bad_body_before_any_request(ip: Any, magics: Any) -> None:
    with pytest.raises(UsageError, match="line 2: expected KEY=VALUE"):
        ip.run_cell_magic("cml_job_env", "nightly --wait", "START_DATE=2017-01-01\noops !\n")
    with pytest.raises(UsageError, match="required: JOB"):
        ip.run_cell_magic("cml_job_env", "--wait", "A=1\n")
    with pytest.raises(UsageError, match="not allowed with argument"):
        ip.run_cell_magic("cml_job_env", "nightly --wait --watch", "A=1\n")
    assert magics._client is None


@pytest.mark.parametrize(
    "body",
    ["NOTE='two' words\n", 'NOTE="two" words\n', "A=1\nQUOTED='it''s'\nB=2\n"],
)
def test_a_body_python_dotenv_cannot_read_is_refused_before_any_request(
    ip: Any, magics: Any, body: str
) -> None:
    """python-dotenv skips such a statement, so the run started with the rest (here: an
    empty environment) after a printed warning."""
    with pytest.raises(UsageError, match=r"^line \d: text after the closing") as caught:
        ip.run_cell_magic("cml_job_env", "nightly --wait", body)
    assert caught.value.kind == "bad_body"  # type: ignore[attr-defined]
    assert magics._client is None


def test_single_quoted_values_are_literal(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNEL_REGION", "apac")
    namespace = {"start": "2017-01-01"}
    env = parse_body(
        "SINGLE='${KERNEL_REGION} {start} {missing} {{x}}'\n"
        'DOUBLE="${KERNEL_REGION} {start} {{x}}"\n'
        "BARE=${KERNEL_REGION}-{start}\n"
        "MULTI='first ${KERNEL_REGION}\n{start} last'\n",
        namespace,
    )
    assert env == {
        "SINGLE": "${KERNEL_REGION} {start} {missing} {{x}}",
        "DOUBLE": "apac 2017-01-01 {x}",
        "BARE": "apac-2017-01-01",
        "MULTI": "first ${KERNEL_REGION}\n{start} last",
    }


def test_expansion_reads_earlier_lines_and_replaced_text_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KERNEL_BRACES", "{not_a_name}")
    env = parse_body(
        "BASE=/data\nOUT=${BASE}/out\nBASE=/other\nAGAIN=${BASE}\n"
        "FALLBACK=${UNSET_IN_THIS_KERNEL:-none}\nBRACES=${KERNEL_BRACES}\n",
        {},
    )
    assert env == {
        "BASE": "/other",
        "OUT": "/data/out",
        "AGAIN": "/other",
        "FALLBACK": "none",
        "BRACES": "{not_a_name}",
    }


def test_a_long_body_is_read_whole_and_its_lines_counted(ip: Any, magics: Any) -> None:
    """40,000 lines (python-dotenv's own interpolation took 23 s on these; see
    bench for speed): every variable arrives, and a bad last line is named."""
    lines = [f"K{i}=${{K{i - 1}:-start}}-{i}" if i % 2 else f"K{i}=v{i}" for i in range(40_000)]
    env = parse_body("\n".join(lines) + "\n", {})
    assert len(env) == 40_000
    assert env["K1"] == "v0-1"
    assert env["K39999"] == "v39998-39999"
    with pytest.raises(UsageError, match="^line 40001: expected KEY=VALUE"):
        ip.run_cell_magic("cml_job_env", "nightly --wait", "\n".join([*lines, "oops !"]))
    assert magics._client is None
