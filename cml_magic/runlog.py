"""`python -m cml_magic.runlog SCRIPT [ARGS...]`: run a script with its output also saved in
the project, at `.cml/runs/$CDSW_ENGINE_ID.log`, where `%cml runs logs`, `cml.runs.output`
and the run widget read it on any workspace (API v2 has no log endpoint).

Stdlib only. `SNIPPET` is the same convention as text a script carries at its top (what
`%%cml_run` writes, and the copy-ready variant in the docs): a runtime then needs nothing of
cml_magic installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

LOG_FOLDER = ".cml/runs"
# Set for the script itself: its output is being saved already (no second copy).
CHILD = "CML_RUNLOG_CHILD"
CHUNK = 1 << 16

# The convention as a script's own first lines: it runs itself again as a child and saves
# what the child writes. `__main__` only: a model file importing it stays untouched.
SNIPPET = """\
# Save this run's output to .cml/runs/<run id>.log in the project (cml_magic.runlog).
import os
import subprocess
import sys

_engine = os.environ.get("CDSW_ENGINE_ID")
if __name__ == "__main__" and _engine and not os.environ.get("CML_RUNLOG_CHILD"):
    os.makedirs(".cml/runs", exist_ok=True)
    env = {**os.environ, "CML_RUNLOG_CHILD": "1", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, *sys.argv]
    read_end, write_end = os.pipe()
    child = subprocess.Popen(command, stdout=write_end, stderr=write_end, env=env)
    os.close(write_end)
    with open(f".cml/runs/{_engine}.log", "ab") as log:
        for chunk in iter(lambda: os.read(read_end, 1 << 16), b""):
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            log.write(chunk)
            log.flush()
    sys.exit(child.wait())
"""


def log_path(environ: Mapping[str, str]) -> str | None:
    """Where this run's output goes (relative to the project folder, the working folder of a
    CML run); None outside a run, or when the output is saved already."""
    engine = environ.get("CDSW_ENGINE_ID", "").strip()
    if not engine or environ.get(CHILD) or "/" in engine or engine.startswith("."):
        return None
    return f"{LOG_FOLDER}/{engine}.log"


def missing_hint(run_id: str) -> str:
    """One line for a run whose script saved no output: what turns the convention on."""
    return (
        f"run {run_id} saved no output in the project ({LOG_FOLDER}/{run_id}.log); to have it,"
        " run the code with %%cml_run, or point the job at `python -m cml_magic.runlog SCRIPT`"
        " or start its script with the snippet of the docs (Run output on any workspace)"
    )


def command_for(script: str, arguments: Sequence[str]) -> list[str]:
    """The command running `script` as CML runs a job's script: by its kind."""
    suffix = os.path.splitext(script)[1].lower()
    if suffix == ".py":
        return [sys.executable, "-u", script, *arguments]
    if suffix == ".sh":
        return ["bash", script, *arguments]
    if suffix == ".r":
        return ["Rscript", script, *arguments]
    return [script, *arguments]


def tee(command: Sequence[str], path: str) -> int:
    """Run `command`; what it writes (stdout and stderr, merged as a run's console shows them)
    goes to our stdout and is appended to `path` as it comes. Answers its exit status."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    env = {**os.environ, CHILD: "1", "PYTHONUNBUFFERED": "1"}
    # One pipe for both streams keeps their order as the console shows it.
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(list(command), stdout=write_end, stderr=write_end, env=env)
    finally:
        os.close(write_end)
    out = sys.stdout.buffer
    with open(path, "ab") as log, os.fdopen(read_end, "rb", buffering=0) as stream:
        try:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                out.write(chunk)
                out.flush()
                log.write(chunk)
                log.flush()
        except KeyboardInterrupt:
            pass  # the child had the signal too; its status tells how it ended
        code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m cml_magic.runlog SCRIPT [ARGS...]`; answers the script's exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(
            "usage: python -m cml_magic.runlog SCRIPT [ARGS...]\n"
            "runs SCRIPT (.py, .sh, .R or an executable) and saves its output to "
            f"{LOG_FOLDER}/$CDSW_ENGINE_ID.log",
            file=sys.stderr if not args else sys.stdout,
        )
        return 2 if not args else 0
    command = command_for(args[0], args[1:])
    path = log_path(os.environ)
    try:
        if path is None:  # not a run, or saved already: run it as it is
            return subprocess.call(command)
        return tee(command, path)
    except OSError as exc:
        print(f"cml_magic.runlog: cannot run {args[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
