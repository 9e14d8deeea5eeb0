"""What every figure shares: medians, child processes, seeding through the API, the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ipython", "ipywidgets", "requests", "pandas", "fastapi", "uvicorn", "psutil")

# Child code: from here on `exchanges` holds the `elapsed` of every HTTP exchange the process
# makes through requests (request sent to answer headers read: the server's time plus
# loopback), by wrapping Session.send; nothing else of the client is touched. Free of braces,
# so it can join a template that is later `.format`ted.
TIME_EXCHANGES = """
import requests
exchanges = []
_send = requests.Session.send
def _timed_send(self, request, **kw):
    response = _send(self, request, **kw)
    exchanges.append(response.elapsed.total_seconds())
    return response
requests.Session.send = _timed_send
"""

# Child code: the floor of a listing of every job of a project, what any tool must do at least
# for a DataFrame of them: a `requests.Session` loop over the pages (`page_size` asked for,
# `next_page_token` followed), `json.loads` of each answer and `pandas.DataFrame` of the raw
# dicts. Free of braces, like TIME_EXCHANGES.
FLOOR_LISTING = """
import json
import pandas as pd
import requests

def floor_listing(url, key, project, page_size):
    session = requests.Session()
    rows, token = [], ""
    while True:
        answer = session.get(
            url + "/api/v2/projects/" + project + "/jobs",
            params=dict(page_size=page_size, page_token=token or None),
            headers=dict(Authorization="Bearer " + key),
            timeout=120,
        )
        answer.raise_for_status()
        body = json.loads(answer.content)
        rows += body["jobs"]
        token = body.get("next_page_token")
        if not token:
            break
    return pd.DataFrame(rows)
"""


@dataclass
class Figure:
    """One section of the report: a table of measured rows and what limits them."""

    title: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)

    def row(
        self, what: str, value: str, floor: str = "", ratio: str = "", target: str = ""
    ) -> None:
        """Add a row: the measure, its median, the floor, value/floor, the target and verdict."""
        self.rows.append((what, value, floor, ratio, target))


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The value below which a share `q` of `values` lies (nearest rank); NaN when empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    """Run `code` in a fresh interpreter; it prints one JSON line last, which is returned."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cached_bytecode(cache: str) -> dict[str, str]:
    """Child settings under which modules load from compiled bytecode, as in an installed
    package, written to `cache` (this tree stays clean) even where PYTHONDONTWRITEBYTECODE
    is set."""
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": cache}


def client_env(url: str, key: str, project: str | None = None) -> dict[str, str]:
    """Environment for a fresh process whose `%cml` talks to `url` (no config file)."""
    env = {
        "CML_MAGIC_HOST": url,
        "CML_MAGIC_API_KEY": key,
        "CML_MAGIC_CONFIG": str(ROOT / "bench" / "no-such-config.toml"),
    }
    if project:
        env["CML_MAGIC_PROJECT"] = project
    for name in (
        "CDSW_API_URL",
        "CDSW_DOMAIN",
        "CDSW_APIV2_KEY",
        "CDSW_API_KEY",
        "CDSW_PROJECT_ID",
    ):
        env[name] = ""
    return env


def machine() -> dict[str, str]:
    """CPU model, cores, memory, OS, Python and key package versions."""
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (absent)")
    return {
        "CPU": cpu,
        "cores": f"{psutil.cpu_count(logical=False)} physical, {psutil.cpu_count()} logical",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()} ({platform.platform()})",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(versions),
    }


def seed_jobs(
    cml: Any, project_name: str, count: int, script: str = "wait.sh", body: str = "sleep 1\n"
) -> str:
    """A project holding `count` jobs running `script`, created through the API; its id."""
    from concurrent.futures import ThreadPoolExecutor

    project = cml.projects.create(project_name, template="blank")
    cml.files.upload(script, body, project=project.id)

    def make(i: int) -> None:
        cml.jobs.create(f"job-{i:05d}", script, project=project.id)

    # The local server serialises writes; a few concurrent clients still hide the round trips.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(make, range(count)))
    return str(project.id)


def new_client(url: str, key: str) -> Any:
    """A client of the local server (no environment or config file involved)."""
    from cml_magic.api import CML

    return CML(url, key, max_retries=0, timeout=60)


# Child code: one figure's `measure` (or a part of it) run in a fresh interpreter against a
# server started by the parent, whose address and keys come in the environment (not on a command
# line). Prints the figure's rows and limits as one JSON line.
MEASURE_APART = """
import json, os, types
from bench import {module}
from bench.common import Figure
server = types.SimpleNamespace(
    url=os.environ["BENCH_URL"],
    api_key=os.environ["BENCH_KEY"],
    legacy_api_key=os.environ["BENCH_LEGACY_KEY"],
    phase_delay=float(os.environ["BENCH_PHASE_DELAY"]),
)
fig = Figure({title!r})
{module}.{function}(fig, server, *{args!r})
print(json.dumps(dict(rows=fig.rows, limits=fig.limits)))
"""


def measure_apart(
    fig: Figure, module: str, function: str, server: Any, *args: Any, timeout: float = 900
) -> None:
    """Run `bench.<module>.<function>(fig, server, *args)` in a fresh interpreter and add its
    rows and limits to `fig`: what it measures is not paid for by the heap of the figures
    measured before it in this process (`server` stays here; the child reaches it by its URL)."""
    env = {
        "BENCH_URL": server.url,
        "BENCH_KEY": server.api_key,
        "BENCH_LEGACY_KEY": server.legacy_api_key,
        "BENCH_PHASE_DELAY": str(server.phase_delay),
    }
    code = MEASURE_APART.format(module=module, function=function, title=fig.title, args=args)
    out = run_python(code, env=env, timeout=timeout)
    fig.rows += [(a, b, c, d, e) for a, b, c, d, e in out["rows"]]
    fig.limits += out["limits"]
