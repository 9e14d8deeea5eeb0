"""Demo job: fit a straight line to a few points and save its coefficients."""

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
from pathlib import Path

xs = [1.0, 2.0, 3.0, 4.0, 5.0]
ys = [2.1, 3.9, 6.2, 7.8, 10.1]
n = len(xs)
mean_x, mean_y = sum(xs) / n, sum(ys) / n
slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
    (x - mean_x) ** 2 for x in xs
)
intercept = mean_y - slope * mean_x
Path("model.json").write_text(json.dumps({"slope": slope, "intercept": intercept}))
print(f"fitted y = {slope:.3f} x + {intercept:.3f} (epochs={os.environ.get('EPOCHS', '1')})")
