"""Experiment run listing: N runs with M metrics each to the DataFrame of
`%cml experiments runs`, against a floor of plain requests + pandas making the same columns."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import TIME_EXCHANGES, Figure, median, new_client, run_python, verdict

METRICS = 20
STEPS = 5  # values per metric: the listing reads only the latest, however many there are
PARAMS = 5
MAX_PAGE = 100_000

# One fresh process per repeat and way. The floor asks for the same page and builds the same
# columns (`params.<key>`, `metrics.<key>`: the latest values CML sends with each run) from the
# decoded JSON with plain Python and pandas.
CHILD = (
    """
import json, time
import pandas as pd
from cml_magic.api import CML
from cml_magic.frames import experiment_runs_frame

url, key, project, experiment, way = {url!r}, {key!r}, {project!r}, {experiment!r}, {way!r}
"""
    + TIME_EXCHANGES
    + """
def client():
    cml = CML(url, key)
    return experiment_runs_frame(cml.experiment_runs.list(experiment, project=project))

def floor():
    session = requests.Session()
    answer = session.get(
        url + "/api/v2/projects/" + project + "/experiments/" + experiment + "/runs",
        params={{"page_size": {max_page}}},
        headers={{"Authorization": "Bearer " + key}},
        timeout=120,
    )
    answer.raise_for_status()
    rows = []
    for run in json.loads(answer.content)["experiment_runs"]:
        row = {{"id": run["id"], "name": run["name"], "status": run["status"],
               "user": run["user"]["username"], "start_time": run["start_time"],
               "end_time": run["end_time"], "experiment_id": run["experiment_id"]}}
        for param in run["data"]["params"]:
            row["params." + param["key"]] = param["value"]
        for metric in run["data"]["metrics"]:
            row["metrics." + metric["key"]] = metric["value"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame

run = {{"client": client, "floor": floor}}[way]
t = time.perf_counter()
frame = run()
took = time.perf_counter() - t
metric_columns = sum(1 for c in frame.columns if c.startswith("metrics."))
print(json.dumps({{"time": took, "rows": len(frame), "metrics": metric_columns,
                  "requests": len(exchanges), "server": sum(exchanges)}}))
"""
)

WAYS = {
    "client": "`experiment_runs_frame(cml.experiment_runs.list(experiment))`"
    " (`%cml experiments runs`)",
    "floor": f"floor: requests (page_size={MAX_PAGE}) + json + the same columns in pandas",
}


def seed(cml: Any, runs: int) -> tuple[str, str]:
    """A project with one experiment of `runs` runs, each with METRICS metrics of STEPS values
    and PARAMS params, logged through the client; (project id, experiment id)."""
    project = cml.projects.create(f"bench-experiments-{time.monotonic_ns()}", template="blank")
    experiment = cml.experiments.create("bench", project=project.id)

    def make(n: int) -> None:
        run = cml.experiment_runs.create(experiment.id, project=project.id, name=f"run-{n:04d}")
        points = [
            {"key": f"metric-{m:02d}", "value": n + m / (s + 1), "step": s}
            for m in range(METRICS)
            for s in range(STEPS)
        ]
        params = {f"param-{p}": n % (p + 2) for p in range(PARAMS)}
        cml.experiment_runs.log(run, metrics=points, params=params)

    with ThreadPoolExecutor(4) as pool:  # the server serialises writes; threads hide round trips
        list(pool.map(make, range(runs)))
    return str(project.id), str(experiment.id)


def measure(server: object, runs: int, repeats: int) -> Figure:
    url, key = server.url, server.api_key  # type: ignore[attr-defined]
    started = time.perf_counter()
    project, experiment = seed(new_client(url, key), runs)
    seeding = time.perf_counter() - started
    results: dict[str, dict[str, list[float]]] = {w: {} for w in WAYS}
    for repeat in range(repeats):
        # Interleaved, and in turn first: drift, and the server's own garbage collection after
        # the larger answer before, hit both ways alike.
        for way in list(WAYS)[:: 1 if repeat % 2 == 0 else -1]:
            code = CHILD.format(
                url=url, key=key, project=project, experiment=experiment, way=way,
                max_page=MAX_PAGE,
            )  # fmt: skip
            out = run_python(code)
            if out["rows"] != runs or out["metrics"] != METRICS:
                raise RuntimeError(f"{way} made {out['rows']} rows, {out['metrics']} metrics")
            for name, value in out.items():
                results[way].setdefault(name, []).append(value)
    med = {w: {k: median(v) for k, v in r.items()} for w, r in results.items()}
    floor, ours = med["floor"], med["client"]
    fig = Figure(f"Experiment run listing ({runs:,} runs x {METRICS} metrics)")
    ratio = ours["time"] / floor["time"]
    fig.row(
        f"{WAYS['client']}: time",
        f"{ours['time']:.3f} s",
        f"{floor['time']:.3f} s",
        f"{ratio:.2f}x",
        f"<= 1.2x: {verdict(ratio <= 1.2)}",
    )
    for way in WAYS:
        m = med[way]
        fig.row(f"{WAYS[way]}: of which server + loopback", f"{m['server']:.3f} s")
        fig.row(f"{WAYS[way]}: outside the server", f"{m['time'] - m['server']:.3f} s")
        fig.row(f"{WAYS[way]}: HTTP requests", f"{m['requests']:.0f}")
    fig.row(f"{WAYS['floor']}: time", f"{floor['time']:.3f} s")
    outside = {w: m["time"] - m["server"] for w, m in med.items()}
    fig.limits.append(
        f"Outside the server the client takes {outside['client']:.3f} s against the floor's"
        f" {outside['floor']:.3f} s ({outside['client'] / outside['floor']:.2f}x): it also"
        " imports its own modules on first use (the floor's requests and pandas are loaded"
        " before the timer starts, ours are not) and types every column; the server's share of"
        " both varies from run to run on this shared machine."
    )
    load = os.getloadavg()[0]
    spread = {w: (min(r["time"]), max(r["time"])) for w, r in results.items()}
    fig.limits.append(
        f"Seeded through the client in {seeding:.0f} s: {runs:,} runs, each with {METRICS} metrics"
        f" of {STEPS} values and {PARAMS} params ({runs * METRICS * STEPS:,} values); a run's"
        " listing carries only the latest value of each metric, which the local server keeps in"
        " a table of its own, so the listing reads one row per run and metric however long the"
        " histories are. Both ways make one request and decode the same JSON; the client then"
        " builds typed columns (times parsed, params as text with <NA>, metrics float64 with"
        f" NaN) in one pass over the decoded runs. Spread over {repeats} repeats: floor"
        f" {spread['floor'][0]:.3f}-{spread['floor'][1]:.3f} s, client"
        f" {spread['client'][0]:.3f}-{spread['client'][1]:.3f} s; the machine's load average"
        f" at the end was {load:.1f}."
    )
    return fig
