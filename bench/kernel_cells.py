"""Time cells in fresh Jupyter kernels, as a notebook runs them: the first cell a user runs
after the kernel is ready, seen from the client (execute request sent -> kernel idle again)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from bench.common import ROOT


@dataclass
class CellRun:
    """One timed cell in a fresh kernel."""

    seconds: float  # execute request sent -> kernel idle, minus the kernel's message round trip
    round_trip: float  # the same for an empty cell in that kernel (subtracted above)
    result: dict[str, Any]  # the cell's execute_result data (mime type -> content)
    probe: Any  # what the untimed probe cell printed last, decoded from JSON
    full_collections: list[float]  # seconds of each full garbage collection during the cell
    cpu: float  # the kernel process's CPU seconds from before the cell to after it
    full_cpu: float  # the CPU seconds of its full garbage collections
    system_cpu: float  # the part of `cpu` spent in the operating system (e.g. mapping memory)
    # Objects made after the cell until the kernel's next full collection began (how far the
    # cell stopped short of one); -1 when none began within NEXT_FULL_LIMIT.
    next_full: int


# Garbage collections are timed by a callback set before the timed cell (a cell of its own, so
# the timed one is unchanged) and read after it; so is the kernel's CPU time, which a busy
# machine disturbs less than the time seen from the client.
WATCH_GC = """
import gc as _gc, time as _time
_gc_events = []
_gc_watch = lambda phase, info: _gc_events.append(
    (phase, info["generation"], _time.perf_counter(), _time.process_time())
)
_gc.callbacks.append(_gc_watch)
import os as _os
_system_before = _os.times().system
_cpu_before = _time.process_time()
"""
FULL_COLLECTIONS = """
_cpu = _time.process_time() - _cpu_before
_system = _os.times().system - _system_before
import json as _json
_gc.callbacks.remove(_gc_watch)
_full = [(t, c) for phase, generation, t, c in _gc_events if generation == 2]
_pauses = [end[0] - start[0] for start, end in zip(_full[::2], _full[1::2])]
_full_cpu = sum(end[1] - start[1] for start, end in zip(_full[::2], _full[1::2]))
print(_json.dumps({"pauses": _pauses, "cpu": _cpu, "full_cpu": _full_cpu, "system": _system}))
"""
# Untimed, after the cell: empty lists (each one object the collector tracks) are made and
# kept until a full collection begins.
NEXT_FULL_LIMIT = 100_000
NEXT_FULL = f"""
_kept, _began = [], []
_gc_due = lambda phase, info: phase == "start" and info["generation"] == 2 and _began.append(1)
_gc.callbacks.append(_gc_due)
while not _began and len(_kept) < {NEXT_FULL_LIMIT}:
    _kept.append([])
_gc.callbacks.remove(_gc_due)
print(len(_kept) if _began else -1)
del _kept
"""


def run_in_fresh_kernel(cell: str, probe: str, env: dict[str, str]) -> CellRun:
    """Start a kernel, time `cell` (its first code), then run the untimed `probe` cell, which
    prints one JSON line (e.g. the server's time of the exchanges `cell` made)."""
    from jupyter_client.manager import start_new_kernel

    # The kernel's start-up warnings (plain TCP on loopback) are noise in a report.
    with open(os.devnull, "w") as quiet:
        manager, client = start_new_kernel(
            kernel_name="python3", env={**os.environ, **env}, cwd=str(ROOT), stderr=quiet
        )
    try:
        # The empty cells warm nothing a listing uses; they measure the messaging alone.
        round_trip = min(_timed(client, "")[0] for _ in range(3))
        _timed(client, WATCH_GC)
        seconds, result, _ = _timed(client, cell)
        _, _, collections = _timed(client, FULL_COLLECTIONS)
        _, _, next_full = _timed(client, NEXT_FULL)
        _, _, printed = _timed(client, probe)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    lines = [line for line in printed.splitlines() if line.strip()]
    watched = json.loads(collections)
    return CellRun(
        seconds - round_trip,
        round_trip,
        result,
        json.loads(lines[-1]),
        watched["pauses"],
        watched["cpu"],
        watched["full_cpu"],
        watched["system"],
        int(next_full.strip()),
    )


def _timed(client: Any, code: str) -> tuple[float, dict[str, Any], str]:
    result: dict[str, Any] = {}
    printed: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "execute_result":
            result.update(content["data"])
        elif kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"cell failed: {content['ename']}: {content['evalue']}")

    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=120, output_hook=collect)
    took = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {reply['content'].get('evalue', '')}")
    return took, result, "".join(printed)
