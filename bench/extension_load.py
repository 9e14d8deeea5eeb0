"""Extension load: `%load_ext cml_magic` in a fresh IPython shell, against the shell without."""

from __future__ import annotations

import tempfile

from bench.common import Figure, cached_bytecode, median, run_python, verdict

HEAVY = ("pandas", "ipywidgets", "requests")

# Both children build the same shell; only the second loads the extension. Whole-process wall
# time is taken by the child itself from interpreter start (psutil's create_time is too coarse).
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t1 = time.perf_counter()
if {load}:
    shell.run_line_magic("load_ext", "cml_magic")
t2 = time.perf_counter()
print(json.dumps({{"shell": t1 - t0, "load": t2 - t1,
                  "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def measure(repeats: int) -> Figure:
    with_ext, without, loads, heavy = [], [], [], set()
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        env = cached_bytecode(cache)
        run_python(CHILD.format(load=True, heavy=HEAVY), env)  # not counted: fills the cache
        for _ in range(repeats):
            base = run_python(CHILD.format(load=False, heavy=HEAVY), env)
            full = run_python(CHILD.format(load=True, heavy=HEAVY), env)
            without.append(base["shell"] + base["load"])
            with_ext.append(full["shell"] + full["load"])
            loads.append(full["load"])
            heavy.update(full["heavy"])
    added = median(with_ext) - median(without)
    call = median(loads)
    fig = Figure("Extension load")
    fig.row(
        "fresh shell + `%load_ext cml_magic`",
        f"{median(with_ext) * 1000:.1f} ms",
        f"{median(without) * 1000:.1f} ms (shell alone)",
        f"{median(with_ext) / median(without):.2f}x",
    )
    fig.row(
        "added: the `%load_ext cml_magic` call (in-process timer)",
        f"{call * 1000:.1f} ms",
        "",
        "",
        f"< 50 ms: {verdict(call < 0.05)}",
    )
    fig.row(
        "added: difference of the two process medians",
        f"{added * 1000:.1f} ms",
        "",
        "",
        f"< 50 ms: {verdict(added < 0.05)}",
    )
    fig.row(
        "heavy modules imported by the load",
        ", ".join(sorted(heavy)) or "none",
        "",
        "",
        f"none of {', '.join(HEAVY)}: {verdict(not heavy)}",
    )
    fig.limits.append(
        "The load imports `cml_magic.magics` (the magics class and its settings) and registers "
        "it; argument parsing, pandas, ipywidgets and requests load on the first `%cml` command, "
        "tab completion on the first Tab on a `%cml` line. What is "
        "left is Python import time of the magics package and traitlets configuration, its "
        "modules loaded from compiled bytecode as an installed package's are (see the first "
        "listing for the cost without). The "
        "difference of process medians is within the noise of starting IPython "
        f"({repeats} fresh processes each way), so the in-process timer is the sharper figure."
    )
    return fig
