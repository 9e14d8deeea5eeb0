"""The sweeps of `%%cml_run --sweep K=v1,v2 ...`: each axis checked, the runs they make (every
combination, a cartesian product), the limit on their number, and each combination's job name.

Pure: no client, no IPython; the magic turns `SweepError` into its one-line error.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import re
from collections.abc import Mapping, Sequence

MAX_RUNS = 200  # more only with --yes: each combination is a job and a run on the cluster
NAME_MAX = 100  # a readable job name up to here; longer combinations are named by a hash
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN = re.compile(r"[A-Za-z0-9_.+:@%-]*\Z")  # values shown as they are in a job's name

Axis = tuple[str, tuple[str, ...]]
Combination = dict[str, str]


class SweepError(ValueError):
    """A sweep that cannot be run as given (the message is one line for the user)."""


def parse_axis(text: str) -> Axis:
    """argparse type for `--sweep K=v1,v2,...`: the variable and its values, in order."""
    key, sep, values = text.partition("=")
    if not sep or not _ENV_NAME.match(key):
        raise argparse.ArgumentTypeError(
            f"expected NAME=v1,v2,... with NAME made of letters, digits and _, got {text!r}"
            " (e.g. --sweep LR=0.1,0.01)"
        )
    items = tuple(value.strip() for value in values.split(","))
    if not values.strip() or any(not value for value in items):
        raise argparse.ArgumentTypeError(
            f"{key}: give its values separated by commas, none empty, got {text!r}"
        )
    repeated = sorted({value for value in items if items.count(value) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{key}: value {repeated[0]!r} is given twice")
    return key, items


def run_count(axes: Sequence[Axis]) -> int:
    """How many runs the axes make (without making them)."""
    return math.prod(len(values) for _, values in axes) if axes else 0


def combinations(
    axes: Sequence[Axis], *, allow_many: bool = False, fixed: Mapping[str, str] | None = None
) -> list[Combination]:
    """Every combination of the axes' values, the first axis varying slowest.

    `fixed` is the environment every run gets (`--env`): an axis may not set one of its
    variables too. More than `MAX_RUNS` runs need `allow_many` (`--yes`).
    """
    keys = [key for key, _ in axes]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise SweepError(f"--sweep {twice[0]} is given twice; list all its values in one --sweep")
    clash = sorted(set(keys) & set(fixed or {}))
    if clash:
        raise SweepError(f"{clash[0]} is set by both --env and --sweep; keep one")
    count = run_count(axes)
    if count > MAX_RUNS and not allow_many:
        raise SweepError(
            f"the sweep makes {count} runs (a job and a run each), more than {MAX_RUNS};"
            " add --yes to start them all"
        )
    return [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*(v for _, v in axes))
    ]


def label(combination: Mapping[str, str]) -> str:
    """`K=v1 L=a`: a combination as the user wrote it."""
    return " ".join(f"{key}={value}" for key, value in combination.items())


def job_name(base: str, combination: Mapping[str, str]) -> str:
    """The job of one combination: `base K=v1 L=a` when that stays short and plain, else
    `base-<hash of the combination>`; the same sweep names the same jobs again."""
    text = label(combination)
    plain = all(_PLAIN.match(value) for value in combination.values())
    if plain and len(base) + 1 + len(text) <= NAME_MAX:
        return f"{base} {text}"
    digest = hashlib.sha256("\0".join(f"{k}={v}" for k, v in combination.items()).encode())
    return f"{base}-{digest.hexdigest()[:12]}"
