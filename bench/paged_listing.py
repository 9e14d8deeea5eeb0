"""Paged listing: N jobs from a server that clips pages at 100 items (`serve --max-page-size`),
so every page costs one request; the client (`to_frame(cml.jobs.list(project))`, what
`%cml jobs list` returns) against a plain requests loop over the same pages."""

from __future__ import annotations

import statistics

from bench.common import FLOOR_LISTING, TIME_EXCHANGES, Figure, median, run_python, verdict

PAGE = 100  # the server's cap here: cml-operator and CML's MCP server ask for pages of 100

# One process runs both ways, alternating, `reps` times each (after one untimed warm-up of
# each), each with a fresh client or session; then the peak of one more of each under
# tracemalloc (kept out of the timed ones: it slows allocation).
CHILD = (
    """
import gc, json, time, tracemalloc
import pandas as pd
from cml_magic.api import CML
from cml_magic.frames import to_frame

url, key, project, page, reps = {url!r}, {key!r}, {project!r}, {page!r}, {reps!r}
"""
    + TIME_EXCHANGES
    + FLOOR_LISTING
    + """

def client():
    return to_frame(CML(url, key).jobs.list(project=project))

def floor():
    return floor_listing(url, key, project, page)

ways = {{"client": client, "floor": floor}}
out = {{w: {{"time": [], "cpu": [], "server": [], "requests": [], "rows": []}} for w in ways}}
for _ in range(reps):
    for way, run in ways.items():
        gc.collect()
        sent = len(exchanges)
        t, c = time.perf_counter(), time.thread_time()
        rows = len(run())
        out[way]["cpu"].append(time.thread_time() - c)
        out[way]["time"].append(time.perf_counter() - t)
        out[way]["server"].append(sum(exchanges[sent:]))
        out[way]["requests"].append(len(exchanges) - sent)
        out[way]["rows"].append(rows)
for way, run in ways.items():
    gc.collect()
    tracemalloc.start()
    run()
    out[way]["peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps(out))
"""
)


def measure(server: object, project: str, jobs: int, rounds: int, reps: int) -> Figure:
    """`server` clips pages at `PAGE`; `project` holds `jobs` jobs. `rounds` fresh processes,
    each timing both ways `reps` times."""
    url, key = server.url, server.api_key  # type: ignore[attr-defined]
    ways = ("client", "floor")
    times: dict[str, list[float]] = {w: [] for w in ways}
    outside: dict[str, list[float]] = {w: [] for w in ways}  # time - server + loopback
    cpus: dict[str, list[float]] = {w: [] for w in ways}
    peaks: dict[str, list[float]] = {w: [] for w in ways}
    sent: dict[str, set[int]] = {w: set() for w in ways}
    ratios: list[float] = []  # client / floor of each process's minimum
    for _ in range(rounds):
        out = run_python(
            CHILD.format(url=url, key=key, project=project, page=PAGE, reps=reps), timeout=1800
        )
        for way, got in out.items():
            if set(got["rows"]) != {jobs}:
                raise RuntimeError(f"{way} listed {got['rows']} jobs, not {jobs}")
            times[way] += got["time"]
            outside[way] += [t - s for t, s in zip(got["time"], got["server"], strict=True)]
            cpus[way] += got["cpu"]
            peaks[way].append(got["peak"])
            sent[way] |= set(got["requests"])
        ratios.append(min(out["client"]["time"]) / min(out["floor"]["time"]))
    best = {w: min(v) for w, v in times.items()}
    med = {w: median(v) for w, v in times.items()}
    out_best = {w: min(v) for w, v in outside.items()}
    cpu = {w: min(v) for w, v in cpus.items()}
    peak = {w: median(v) for w, v in peaks.items()}
    ratio = median(ratios)
    fig = Figure(f"Paged listing ({jobs:,} jobs, pages of {PAGE})")
    fig.row(
        "`to_frame(cml.jobs.list(project))` (`%cml jobs list`): time, min",
        f"{best['client']:.2f} s",
        f"{best['floor']:.2f} s",
        f"{ratio:.2f}x",
        f"<= 1.10x: {verdict(ratio <= 1.10)}",
    )
    fig.row(
        "time, median of all runs",
        f"{med['client']:.2f} s",
        f"{med['floor']:.2f} s",
        f"{med['client'] / med['floor']:.2f}x",
    )
    fig.row(
        "ratio of the minimums, per process: min / max",
        f"{min(ratios):.2f}x / {max(ratios):.2f}x",
    )
    fig.row(
        "outside the server (time - summed `elapsed` of the exchanges), min",
        f"{out_best['client']:.2f} s",
        f"{out_best['floor']:.2f} s",
        f"{out_best['client'] / out_best['floor']:.2f}x",
    )
    fig.row(
        "client CPU (thread time), min",
        f"{cpu['client']:.2f} s",
        f"{cpu['floor']:.2f} s",
        f"{cpu['client'] / cpu['floor']:.2f}x",
    )
    fig.row(
        "client CPU per page, min",
        f"{cpu['client'] / (jobs / PAGE) * 1000:.2f} ms",
        f"{cpu['floor'] / (jobs / PAGE) * 1000:.2f} ms",
    )
    fig.row(
        "peak memory (tracemalloc)",
        f"{peak['client'] / 2**20:.0f} MiB",
        f"{peak['floor'] / 2**20:.0f} MiB",
        f"{peak['client'] / peak['floor']:.2f}x",
        f"<= 1.5x: {verdict(peak['client'] <= 1.5 * peak['floor'])}",
    )
    fig.row(
        "HTTP requests per listing",
        ", ".join(str(n) for n in sorted(sent["client"])),
        ", ".join(str(n) for n in sorted(sent["floor"])),
    )
    spread = statistics.pstdev(ratios) if len(ratios) > 1 else 0.0
    fig.limits.append(
        f"The server is started with `--max-page-size {PAGE}`: the client asks for pages of "
        f"100,000 and follows {jobs // PAGE} tokens, the floor (a `requests.Session` loop, "
        f"`json.loads`, `pandas.DataFrame` of the raw dicts) asks for pages of {PAGE}. "
        f"{rounds} fresh processes, each timing both ways {reps} times, alternating, a fresh "
        "client or session each time; the ratio is that of each process's fastest runs, its "
        f"median over the processes (spread {spread:.2f}). Both wait for the same server, so "
        "the ratio of times understates the ratio of client CPU, shown below it."
    )
    fig.limits.append(
        "The local server reads and decodes every job of the project for each page it answers "
        "(then cuts the page), so its time per page grows with the project and varies from "
        "listing to listing far more than either client's own cost: a ratio of times from few "
        "listings is mostly that variation. Outside the server and in CPU the two compare "
        "directly."
    )
    return fig
