"""The sweep rules of `%%cml_run` (cml_magic.magics.sweeps): axes, combinations, limit, names."""

from __future__ import annotations

import argparse

import pytest

from cml_magic.magics import sweeps


def test_an_axis_is_a_variable_and_its_values_in_order() -> None:
    assert sweeps.parse_axis("LR=0.1,0.01") == ("LR", ("0.1", "0.01"))
    assert sweeps.parse_axis("MODE=fast") == ("MODE", ("fast",))
    assert sweeps.parse_axis("X= a , b") == ("X", ("a", "b"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("LR", "expected NAME=v1,v2"),
        ("=1,2", "expected NAME=v1,v2"),
        ("1X=1", "expected NAME=v1,v2"),
        ("LR=", "none empty"),
        ("LR=1,,2", "none empty"),
        ("LR=1,", "none empty"),
        ("LR=1,2,1", "'1' is given twice"),
    ],
)
def test_a_malformed_axis_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        sweeps.parse_axis(text)


def test_combinations_are_the_cartesian_product_first_axis_slowest() -> None:
    axes = [("K", ("1", "2")), ("L", ("a", "b", "c"))]
    found = sweeps.combinations(axes)
    assert sweeps.run_count(axes) == len(found) == 6
    assert found[:4] == [
        {"K": "1", "L": "a"},
        {"K": "1", "L": "b"},
        {"K": "1", "L": "c"},
        {"K": "2", "L": "a"},
    ]
    assert sweeps.combinations([]) == [{}]  # no sweep: one run
    assert sweeps.run_count([]) == 0


def test_more_than_the_limit_needs_yes() -> None:
    axes = [("A", tuple(str(i) for i in range(20))), ("B", tuple(str(i) for i in range(11)))]
    assert sweeps.run_count(axes) == 220 > sweeps.MAX_RUNS
    with pytest.raises(sweeps.SweepError, match="220 runs .* add --yes"):
        sweeps.combinations(axes)
    assert len(sweeps.combinations(axes, allow_many=True)) == 220
    exactly = [("A", tuple(str(i) for i in range(sweeps.MAX_RUNS)))]
    assert len(sweeps.combinations(exactly)) == sweeps.MAX_RUNS


def test_a_variable_swept_twice_or_also_fixed_is_refused() -> None:
    with pytest.raises(sweeps.SweepError, match="--sweep K is given twice"):
        sweeps.combinations([("K", ("1",)), ("K", ("2",))])
    with pytest.raises(sweeps.SweepError, match="K is set by both --env and --sweep"):
        sweeps.combinations([("K", ("1", "2"))], fixed={"K": "0"})


def test_job_names_are_readable_stable_and_distinct() -> None:
    base = "cell-0123abcd"
    assert sweeps.job_name(base, {"K": "1", "L": "a"}) == "cell-0123abcd K=1 L=a"
    odd = sweeps.job_name(base, {"K": "has space"})
    assert odd.startswith(base + "-") and odd == sweeps.job_name(base, {"K": "has space"})
    long = sweeps.job_name(base, {"K": "x" * 200})
    assert len(long) < sweeps.NAME_MAX and long != odd
    assert sweeps.label({"K": "1", "L": "a"}) == "K=1 L=a"
