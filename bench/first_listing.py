"""First listing: `%cml jobs list` on 20 jobs, end to end in a fresh process, minus the server,
side by side with its floor (plain `requests` + `pandas` doing the same listing)."""

from __future__ import annotations

import tempfile

from bench.common import (
    ROOT,
    TIME_EXCHANGES,
    Figure,
    cached_bytecode,
    client_env,
    median,
    new_client,
    run_python,
    seed_jobs,
    verdict,
)
from bench.kernel_cells import NEXT_FULL_LIMIT, CellRun, run_in_fresh_kernel

SLACK = 0.025  # the target: at most the floor's time + 25 ms

# Child code, before the timed part: `full` collects the start and end of every full garbage
# collection (a callback called only at collections).
WATCH_FULL = """
import gc
full = []
def watch(phase, info):
    if info["generation"] == 2:
        full.append(time.perf_counter())
gc.callbacks.append(watch)
"""
FULL_PAUSES = "[b - a for a, b in zip(full[::2], full[1::2])]"

# The child counts and times every HTTP exchange.
CHILD = (
    """
import json, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
"""
    + WATCH_FULL
    + """
t1 = time.perf_counter()
"""
    + TIME_EXCHANGES
    + """
shell.run_line_magic("load_ext", "cml_magic")
result = shell.run_cell("%cml jobs list")
t2 = time.perf_counter()
ok = result.success and result.result is not None and len(result.result) == 20
print(json.dumps({"shell": t1 - t0, "ours": t2 - t1, "server": sum(exchanges),
                  "requests": len(exchanges), "ok": ok, "full": """
    + FULL_PAUSES
    + """}))
"""
)

# The floor: the least any tool can do for the same listing as a pandas DataFrame, from the
# same starting point (an IPython shell already made, not counted): import requests and
# pandas, one GET of the same page, the DataFrame of its JSON, shown by the shell as a cell's
# result (its text and HTML table, the same display work as ours).
FLOOR_GET = """
import os, requests, pandas
answer = requests.get(
    os.environ["CML_MAGIC_HOST"] + "/api/v2/projects/" + os.environ["CML_MAGIC_PROJECT"] + "/jobs",
    params={"page_size": 100000},
    headers={"authorization": "Bearer " + os.environ["CML_MAGIC_API_KEY"]},
)
answer.raise_for_status()
"""
FLOOR = (
    """
import json, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
"""
    + WATCH_FULL
    + """
t1 = time.perf_counter()
"""
    + FLOOR_GET
    + """
shell.user_ns["frame"] = pandas.DataFrame(answer.json()["jobs"])
frame = shell.run_cell("frame").result
t2 = time.perf_counter()
print(json.dumps({"floor": t2 - t1, "server": answer.elapsed.total_seconds(),
                  "ok": len(frame) == 20, "full": """
    + FULL_PAUSES
    + """}))
"""
)

# The same two things in a fresh Jupyter kernel, as a notebook's first cell: the cell is timed
# from the client; an untimed probe cell afterwards reports the server's share.
KERNEL_CELL = "%load_ext cml_magic\n%cml jobs list"
KERNEL_PROBE = (
    """
import json
rows = len(_)
"""
    + TIME_EXCHANGES
    + """
get_ipython().run_line_magic("cml", "jobs list")
print(json.dumps({"server": sum(exchanges), "requests": len(exchanges), "rows": rows}))
"""
)
KERNEL_FLOOR_CELL = FLOOR_GET + 'pandas.DataFrame(answer.json()["jobs"])\n'
KERNEL_FLOOR_PROBE = """
import json
print(json.dumps({"server": answer.elapsed.total_seconds(), "rows": len(_)}))
"""

# What each cell leaves for the garbage collector to track: the objects alive after it, less
# those before it, in a fresh process with collection off while counting (so none is freed
# in between). A full collection falls due after a number of such objects.
OBJECTS = (
    """
import gc, json
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
gc.collect()
gc.disable()
before = len(gc.get_objects())
"""
    + "{cell}"
    + """
print(json.dumps({{"made": len(gc.get_objects()) - before}}))
"""
)
OBJECTS_OURS = 'shell.run_line_magic("load_ext", "cml_magic")\nshell.run_cell("%cml jobs list")\n'
OBJECTS_FLOOR = (
    FLOOR_GET + 'shell.user_ns["frame"] = pandas.DataFrame(answer.json()["jobs"])\n'
    'shell.run_cell("frame")\n'
)

IMPORT = """
import json, time
t = time.perf_counter()
import {name}
print(json.dumps({{"t": time.perf_counter() - t}}))
"""


def _collections(runs: list[list[float]]) -> str:
    """How many full collections `runs` had (each run's list of pauses), and their time."""
    pauses = [p for r in runs for p in r]
    return f"{len(pauses)} ({sum(pauses) * 1000:.0f} ms)"


def _next_full(runs: list[CellRun]) -> str:
    counts = [r.next_full for r in runs]
    if all(c < 0 for c in counts):
        return f"none within {NEXT_FULL_LIMIT:,}"
    found = [c for c in counts if c >= 0]
    return f"{median(found):,.0f}" + (
        f" ({len(found)} of {len(counts)} runs)" if len(found) < len(counts) else ""
    )


def _less_collections(times: list[float], runs: list[CellRun]) -> list[float]:
    return [t - sum(r.full_collections) for t, r in zip(times, runs, strict=True)]


def _in_kernels(env: dict[str, str], repeats: int) -> tuple[list[CellRun], list[CellRun]]:
    """Ours and the floor as the first cell of fresh kernels, alternating."""
    ours, floors = [], []
    # Not counted: a first kernel of each fills the bytecode cache.
    run_in_fresh_kernel(KERNEL_CELL, KERNEL_PROBE, env)
    run_in_fresh_kernel(KERNEL_FLOOR_CELL, KERNEL_FLOOR_PROBE, env)
    for _ in range(repeats):
        for cell, probe, runs in (
            (KERNEL_CELL, KERNEL_PROBE, ours),
            (KERNEL_FLOOR_CELL, KERNEL_FLOOR_PROBE, floors),
        ):
            run = run_in_fresh_kernel(cell, probe, env)
            if run.probe["rows"] != 20 or "text/html" not in run.result:
                raise RuntimeError("a kernel did not show the 20 jobs as an HTML table")
            runs.append(run)
    return ours, floors


def measure(server: object, repeats: int) -> Figure:
    url, key = server.url, server.api_key  # type: ignore[attr-defined]
    cml = new_client(url, key)
    project = seed_jobs(cml, "bench-first-listing", 20)
    ours, servers, shells, counts = [], [], [], set()
    floors, floor_servers, sources = [], [], []
    full, floor_full = [], []  # each bare run's full collections
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        env = {**client_env(url, key, project), **cached_bytecode(cache)}
        # Not counted: fills the bytecode cache.
        run_python(CHILD, env)
        run_python(FLOOR, env)
        for _ in range(repeats):
            # Ours and the floor alternate, so both see the machine in the same state.
            out = run_python(CHILD, env)
            if not out["ok"]:
                raise RuntimeError("`%cml jobs list` did not list 20 jobs")
            ours.append(out["ours"])
            full.append(out["full"])
            servers.append(out["server"])
            shells.append(out["shell"])
            counts.add(out["requests"])
            floor = run_python(FLOOR, env)
            if not floor["ok"]:
                raise RuntimeError("the floor did not list 20 jobs")
            floors.append(floor["floor"])
            floor_full.append(floor["full"])
            floor_servers.append(floor["server"])
        imports = {
            name: median([run_python(IMPORT.format(name=name), env)["t"] for _ in range(repeats)])
            for name in ("pandas", "requests", "cml_magic.api")
        }
        made = {
            way: median([run_python(OBJECTS.format(cell=cell), env)["made"] for _ in range(3)])
            for way, cell in (("ours", OBJECTS_OURS), ("floor", OBJECTS_FLOOR))
        }
        kernel_ours, kernel_floor = _in_kernels(env, repeats)
    # Our modules compiled from source in every process (no bytecode cache anywhere).
    uncached = client_env(url, key, project) | {"PYTHONDONTWRITEBYTECODE": "1"}
    for _ in range(repeats):
        out = run_python(CHILD, uncached)
        sources.append(out["ours"] - out["server"])
    beyond = [o - s for o, s in zip(ours, servers, strict=True)]
    floor_beyond = [f - s for f, s in zip(floors, floor_servers, strict=True)]
    in_kernel = [r.seconds - r.probe["server"] for r in kernel_ours]
    floor_in_kernel = [r.seconds - r.probe["server"] for r in kernel_floor]
    fig = Figure("First listing")
    bound = median(floor_in_kernel) + SLACK
    fig.row(
        "fresh kernel, first cell `%load_ext cml_magic` + `%cml jobs list` (20 jobs): "
        "beyond the server's own time",
        f"{median(in_kernel) * 1000:.0f} ms",
        f"{median(floor_in_kernel) * 1000:.0f} ms",
        f"{median(in_kernel) / median(floor_in_kernel):.2f}x",
        f"<= floor + 25 ms: {verdict(median(in_kernel) <= bound)}",
    )
    fig.row(
        "fresh kernel: runs within the floor's median + 25 ms",
        f"{sum(t <= bound for t in in_kernel)} of {len(in_kernel)}",
        f"{sum(t <= bound for t in floor_in_kernel)} of {len(floor_in_kernel)}",
    )
    fig.row(
        "fresh kernel: server + loopback (probe cell) / kernel message round trip (subtracted)",
        f"{median([r.probe['server'] for r in kernel_ours]) * 1000:.1f} ms / "
        f"{median([r.round_trip for r in kernel_ours]) * 1000:.1f} ms",
        f"{median([r.probe['server'] for r in kernel_floor]) * 1000:.1f} ms / "
        f"{median([r.round_trip for r in kernel_floor]) * 1000:.1f} ms",
    )
    fig.row(
        "fresh kernel: full garbage collections inside the cell, all runs (their time)",
        _collections([r.full_collections for r in kernel_ours]),
        _collections([r.full_collections for r in kernel_floor]),
    )
    cpu = [r.cpu for r in kernel_ours]
    floor_cpu = [r.cpu for r in kernel_floor]
    less_cpu = [r.cpu - r.full_cpu for r in kernel_ours]
    fig.row(
        "fresh kernel: the kernel's CPU time for the cell, min (less full collections)",
        f"{min(cpu) * 1000:.0f} ms ({min(less_cpu) * 1000:.0f} ms)",
        f"{min(floor_cpu) * 1000:.0f} ms",
        f"+{(min(cpu) - min(floor_cpu)) * 1000:.0f} ms "
        f"(+{(min(less_cpu) - min(floor_cpu)) * 1000:.0f} ms)",
    )
    fig.row(
        "fresh kernel: of that CPU time, the operating system's (e.g. mapping memory), min",
        f"{min(r.system_cpu for r in kernel_ours) * 1000:.0f} ms",
        f"{min(r.system_cpu for r in kernel_floor) * 1000:.0f} ms",
    )
    fig.row(
        "fresh kernel: objects made after the cell until a full collection began",
        _next_full(kernel_ours),
        _next_full(kernel_floor),
    )
    fig.row(
        "fresh process: objects the cell leaves for the collector to track",
        f"{made['ours']:,.0f}",
        f"{made['floor']:,.0f}",
        f"+{made['ours'] - made['floor']:,.0f}",
    )
    fig.row(
        "fresh kernel: beyond the server's own time, less those full collections",
        f"{median(_less_collections(in_kernel, kernel_ours)) * 1000:.0f} ms",
        f"{median(_less_collections(floor_in_kernel, kernel_floor)) * 1000:.0f} ms",
    )
    fig.row(
        "bare IPython shell in a fresh process (no kernel): `%load_ext` + `%cml jobs list`",
        f"{median(ours) * 1000:.0f} ms",
        f"{median(floors) * 1000:.0f} ms",
        f"{median(ours) / median(floors):.2f}x",
    )
    fig.row(
        "bare IPython shell: beyond the server's own time",
        f"{median(beyond) * 1000:.0f} ms",
        f"{median(floor_beyond) * 1000:.0f} ms",
        f"{median(beyond) / median(floor_beyond):.2f}x",
        f"<= floor + 25 ms: {verdict(median(beyond) <= median(floor_beyond) + SLACK)}",
    )
    fig.row(
        "bare IPython shell: full garbage collections inside the cell, all runs (their time)",
        _collections(full),
        _collections(floor_full),
    )
    fig.row(
        "server + loopback (summed `elapsed`)",
        f"{median(servers) * 1000:.1f} ms",
        f"{median(floor_servers) * 1000:.1f} ms",
    )
    fig.row("HTTP requests", ", ".join(str(c) for c in sorted(counts)), "1")
    # Python reads bytecode it finds in the tree even with PYTHONDONTWRITEBYTECODE set.
    stale = any((ROOT / "cml_magic").rglob("__pycache__"))
    fig.row(
        "beyond the server, our modules compiled from source each time",
        f"{median(sources) * 1000:.0f} ms"
        + (" (bytecode found in the tree: not so)" if stale else ""),
    )
    fig.row("IPython shell creation (not counted above)", f"{median(shells) * 1000:.0f} ms")
    for name, took in imports.items():
        fig.row(f"`import {name}` alone, fresh process", f"{took * 1000:.0f} ms")
    pandas = imports["pandas"]
    fig.limits.append(
        "The target is judged as the issue states it, end to end in a fresh kernel: a Jupyter "
        "kernel (ipykernel, started by jupyter_client as a notebook server does) whose first "
        "cell is `%load_ext cml_magic` and `%cml jobs list`, timed from the client from the "
        "execute request to the kernel going idle with the HTML table sent, minus the "
        "kernel's own message round trip (an empty cell in the same kernel) and minus the "
        "server's time (the same listing again in an untimed cell, its exchange's `elapsed`). "
        "The floor is the same cell made of `import requests, pandas`, one `requests.get` of "
        "the same page and `pandas.DataFrame` of its JSON as the cell's result. A kernel has "
        "already imported much of the standard library that requests needs (ssl, email, "
        "http), so a first listing costs less there than in a bare process."
    )
    floor_next = [r.next_full for r in kernel_floor if r.next_full >= 0]
    extra = made["ours"] - made["floor"]
    fig.limits.append(
        "Full garbage collections. Python runs one once 11 young collections (each after "
        "about 700 new objects) have passed since the last and the objects made since then "
        "are a quarter of those it kept. Importing pandas makes one due in a fresh process. "
        "In a fresh kernel the floor's cell stops "
        + (f"{median(floor_next):,.0f}" if floor_next else "more than 100,000")
        + ' objects short of it (row "objects made after the cell until a full collection '
        f"began\"); ours leaves {extra:,.0f} objects more for the collector than the floor's "
        "(mostly what our modules' code is made of: the constants of their functions, "
        "classes, dataclass fields), so its cell pays the collection, "
        f"{_collections([r.full_collections for r in kernel_ours])} in a kernel's larger "
        'heap. In a bare shell the heap is smaller and both cells pay one (row "bare IPython '
        'shell: full garbage collections"). The collection is owed by the pandas import: any '
        "later cell of the floor's kernel that makes that many objects pays it. The rows "
        "without it show our own cost."
    )
    fig.limits.append(
        "Bare shell: a fresh process that, after the same IPython shell start-up (not counted), "
        "imports requests and pandas, GETs the same page (`page_size=100000`), builds "
        "`pandas.DataFrame` of its JSON and shows it as a cell's result (IPython renders its text "
        "and HTML table, as a notebook would: a plain IPython shell's HTML formatter is on; "
        "ours does the same). Ours also parses the line "
        "and converts the JSON into typed objects and fixed columns."
    )
    fig.limits.append(
        "Beyond the server, both are mostly first-use imports: `import pandas` alone takes "
        f"{pandas * 1000:.0f} ms here and listings are pandas DataFrames. The server's time "
        f"is each exchange's `elapsed` ({repeats} fresh processes each, ours and the floor "
        "alternating)."
    )
    fig.limits.append(
        "Every child loads modules from compiled bytecode, as an installed package does "
        '(pip compiles on install; Python caches on first import). The row "compiled from '
        'source each time" shows the cost where bytecode cannot be cached '
        "(PYTHONDONTWRITEBYTECODE set and no cache present, as in this machine's "
        "environment): our modules are then compiled in every fresh process."
    )
    gap = median(in_kernel) - median(floor_in_kernel)
    own = median(_less_collections(in_kernel, kernel_ours)) - median(
        _less_collections(floor_in_kernel, kernel_floor)
    )
    fig.limits.append(
        f"Ours over the floor, in a fresh kernel: {gap * 1000:.0f} ms, of which "
        f"{own * 1000:.0f} ms without the full garbage collections; in the kernel's CPU time "
        f"+{(min(cpu) - min(floor_cpu)) * 1000:.0f} ms, "
        f"+{(min(less_cpu) - min(floor_cpu)) * 1000:.0f} ms without them (bare shell: "
        f"{(median(beyond) - median(floor_beyond)) * 1000:.0f} ms)."
        + (
            " A verdict this close to the bound can flip between runs and machines."
            if abs(median(in_kernel) - bound) < 0.01
            else ""
        )
    )
    fig.limits.append(
        "Where our own part goes (profiled with pyinstrument and `-X importtime`, and timed "
        "step by step in the kernel's CPU time): importing our modules, about 20 ms (the "
        "magics at `%load_ext`, about 3 ms; the client, the job commands and the frames, "
        "about 17 ms, 7 of them making dataclasses: the result objects, their generated "
        "methods compiled at import). With every module already imported, the rest of our "
        "cell (line parsed, one GET, the typed frame, its text and HTML) takes no longer "
        "than the floor's GET, DataFrame and display."
    )
    fig.limits.append(
        "Found by these measurements (issue 19), the frame stack: CPython 3.11 and 3.12 keep "
        "a thread's Python frames in 16 KiB blocks and free a block as soon as the frame at its "
        "start returns (python/cpython#142183, fixed in later releases by keeping one block "
        "spare). A loop whose calls cross the end of a block maps and unmaps one on every call. "
        "Importing pandas from inside the magic, at the depth of a kernel's cell plus the "
        "magic's own calls, met that edge in numpy's typing module: traced with strace, 3,316 "
        "unmappings of 16 KiB during the cell (the floor's cell: 58), and 50 `typing.Literal` "
        "made there took 76 ms against 1.7 ms on the idle machine (16 ms against 1.6 ms while "
        "other work kept both cores busy). Any depth can meet it: a `python -c` that "
        "imports pandas under 0 to 700 extra frames met it at none (at most 16 unmappings), "
        "while the magic met it under 0 to 8 extra frames alike. The first listing now imports "
        "pandas on a thread of its own, which starts from the bottom of its own stack "
        "(`cml_magic.magics.context.load_frames`): 47 unmappings. The row of the operating "
        "system's CPU time shows what is left of it."
    )
    fig.limits.append(
        "What the thread costs (issue 19): glibc gives a thread its own malloc arena, which "
        "grows by `mprotect` where the main thread's grows by `brk`. `import pandas` after an "
        "IPython shell's start, 9 fresh processes each way alternating: 231 ms on the main "
        "thread, 257 ms on a thread of its own (strace: 1,474 `mprotect` calls against 111). "
        "In a kernel that is less than the frame-stack cost it avoids; in a bare shell, where "
        "there is no such cost, it is most of what ours is over the floor. Starting the "
        "thread before the listing's request, so that a workspace's round trip is spent "
        "importing, was tried and left out: with every answer 150 ms late it saved 76 ms, but "
        "our modules then import on the main thread while pandas imports on the other, and "
        "in CPython 3.11 a Ctrl-C at the wrong moment of an import leaves the import lock "
        "held by the main thread for good: the next listing and the kernel's exit hang."
    )
    fig.limits.append(
        "Found by these measurements (issue 19): the listing's HTML table was a pandas Styler, "
        "which imports jinja2 and compiles its templates on first use: about 40 ms of CPU time "
        "on the first listing, in a kernel and in a bare shell alike (a plain IPython shell "
        "makes the HTML too), and about 7,700 objects more for the collector. The table is now "
        "`DataFrame.to_html`, as the floor's: the same cells, values now escaped. Masking's "
        "patterns compile on first use (about 2 ms). Before, in the full run of 2026-12-01 "
        "23:15 UTC: fresh kernel 356 ms against the floor's 209 ms (147 ms over; 118 ms without"
        " the full collections); bare shell 284 ms against 229 ms (55 ms over). Side by side in"
        " CPU time the kernel's gap was 107 ms, 76 ms without the collection, near the bare "
        "shell's 62 ms (where both cells pay a collection): what a kernel added was the "
        "collection, no other work of ours."
    )
    if median(in_kernel) > bound:
        short = median(floor_next) if floor_next else float("nan")
        fig.limits.append(
            "**Missed**: in a fresh kernel the time beyond the server is more than 25 ms over "
            f"the floor's ({median(floor_in_kernel) * 1000:.0f} ms). What is over is the full "
            "collection that importing pandas made due, which our cell crosses and the "
            "floor's stops short of, and the import of our own modules. To stay short of the "
            f"collection too, our cell would have to leave {extra - short:,.0f} fewer objects "
            f"(at most {short:,.0f} more than the floor's, not {extra:,.0f}): a margin set by "
            "what the kernel did at start-up, not by the listing."
        )
    return fig
