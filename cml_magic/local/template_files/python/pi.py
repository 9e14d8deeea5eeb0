"""Demo model and job: estimate pi by throwing random points at a square.

As a model, `predict({"samples": 10000})` answers {"pi": <estimate>, "samples": 10000};
as a job, it prints one estimate (the number of samples is the first argument).
"""

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

import random
from typing import Any

MAX_SAMPLES = 1_000_000


def estimate(samples: int, seed: int | None = None) -> float:
    rng = random.Random(seed)
    inside = sum(1 for _ in range(samples) if rng.random() ** 2 + rng.random() ** 2 <= 1.0)
    return 4.0 * inside / samples


def predict(args: dict[str, Any]) -> dict[str, Any]:
    samples = max(1, min(int(args.get("samples", 10_000)), MAX_SAMPLES))
    return {"pi": estimate(samples, args.get("seed")), "samples": samples}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"pi is roughly {estimate(max(1, min(n, MAX_SAMPLES))):.4f} ({n} samples)")
