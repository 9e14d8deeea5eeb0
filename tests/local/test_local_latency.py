"""`serve --latency S`: every API answer comes S seconds late, as from a workspace across a
network; pages and answers are otherwise the same."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from cml_magic.local import LocalCML

LATENCY = 0.4


def _answer_time(url: str, key: str) -> float:
    started = time.perf_counter()
    answer = requests.get(
        f"{url}/api/v2/projects", headers={"authorization": f"Bearer {key}"}, timeout=30
    )
    answer.raise_for_status()
    assert "projects" in answer.json()
    return time.perf_counter() - started


def test_every_api_answer_comes_late_and_unchanged() -> None:
    with LocalCML(seed="demo", phase_delay=0.05, latency=LATENCY) as server:
        key = server.api_key
        took = [_answer_time(server.url, key) for _ in range(3)]
    assert min(took) >= LATENCY


def test_without_latency_answers_are_not_held() -> None:
    with LocalCML(seed="demo", phase_delay=0.05) as server:
        took = [_answer_time(server.url, server.api_key) for _ in range(3)]
    assert min(took) < LATENCY


def test_a_bad_latency_is_one_line() -> None:
    for value in ("-1", "soon", "61"):
        done = subprocess.run(
            [sys.executable, "-m", "cml_magic.local", "serve", "--latency", value],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "--latency: expected seconds from 0 to 60" in done.stderr
