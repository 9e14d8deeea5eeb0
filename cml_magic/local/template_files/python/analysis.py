"""Demo job: report the settings it was given, work a little, write a result file."""

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

import json
import time
from pathlib import Path

PREFIX = os.environ.get("ANALYSIS_PREFIX", "ANALYSIS_")

settings = {k: v for k, v in sorted(os.environ.items()) if k.startswith(PREFIX)}
print(f"analysis starting in project {os.environ.get('CDSW_PROJECT', '?')}")
print(f"arguments: {sys.argv[1:]} (JOB_ARGUMENTS={os.environ.get('JOB_ARGUMENTS', '')!r})")
for key, value in settings.items():
    print(f"{key}={value}")

time.sleep(float(os.environ.get("ANALYSIS_SECONDS", "0.5")))

out = Path("output") / f"analysis-{os.environ.get('CDSW_ENGINE_ID', 'local')}.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps({"settings": settings, "arguments": sys.argv[1:]}, indent=2))
print(f"wrote {out}")
