"""One rule for a variable's name, the API's (`convert.is_env_name`), wherever the magics read one:
`--env KEY=VALUE`, a dotenv body and a JSON body of `%%cml_job_env`."""

from __future__ import annotations

import argparse
import json

import pytest
from IPython.core.error import UsageError

from cml_magic.api.convert import is_env_name
from cml_magic.magics.envbody import parse_body
from cml_magic.magics.parsing import env_pair

NAMES = ["START_DATE", "_x", "a1", "1BAD", "BAD-NAME", "É", "", "A B", "DOT.TED", "A\n"]


def accepted_by_env_flag(name: str) -> bool:
    try:
        env_pair(f"{name}=1")
    except argparse.ArgumentTypeError:
        return False
    return True


def accepted_in_json(name: str) -> bool:
    try:
        parse_body(json.dumps({name: "1"}), {})
    except UsageError:
        return False
    return True


def accepted_in_dotenv(name: str) -> bool:
    try:
        return parse_body(f"{name}=1\n", {}) == {name: "1"}
    except UsageError:
        return False


@pytest.mark.parametrize("name", NAMES)
def test_every_reader_takes_the_apis_rule(name: str) -> None:
    expected = is_env_name(name)
    assert expected == (name in {"START_DATE", "_x", "a1"})
    assert accepted_by_env_flag(name) is expected
    assert accepted_in_json(name) is expected
    if "\n" not in name and name:  # a line break or nothing is another dotenv statement
        assert accepted_in_dotenv(name) is expected
