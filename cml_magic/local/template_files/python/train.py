"""Demo job: fit a line by gradient descent at rate LR, logging to experiment EXPERIMENT.

Standard library only, as on any runtime: the run talks to CML's API v2 with its own key
(`CDSW_APIV2_KEY`), creates an experiment run named `lr-<LR>`, logs its params and the loss of
every step, and saves the fit as a model file (`models/lr-<LR>.py`, defining `predict`) that the
model registry can take from the run.
"""

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

API = os.environ["CDSW_API_URL"].removesuffix("/api/v1") + "/api/v2"
RUNS = f"{API}/projects/{os.environ['CDSW_PROJECT_ID']}/experiments/{os.environ['EXPERIMENT']}/runs"


def call(method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "authorization": "Bearer " + os.environ["CDSW_APIV2_KEY"],
            "content-type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answered: dict[str, Any] = json.load(answer)
        return answered


lr, steps = float(os.environ.get("LR", "0.01")), int(os.environ.get("STEPS", "20"))
xs = [1.0, 2.0, 3.0, 4.0, 5.0]
ys = [2.1, 3.9, 6.2, 7.8, 10.1]

run = call("POST", RUNS, {"run_name": f"lr-{lr:g}"})
params = [{"key": "lr", "value": f"{lr:g}"}, {"key": "steps", "value": str(steps)}]
call("POST", f"{RUNS}/{run['id']}:logbatch", {"params": params})

slope = intercept = 0.0
for step in range(steps):
    errors = [slope * x + intercept - y for x, y in zip(xs, ys, strict=True)]
    loss = sum(e * e for e in errors) / len(xs)
    call(
        "POST",
        f"{RUNS}/{run['id']}:logbatch",
        {"metrics": [{"key": "loss", "value": loss, "step": str(step)}]},
    )
    slope -= lr * 2 * sum(e * x for e, x in zip(errors, xs, strict=True)) / len(xs)
    intercept -= lr * 2 * sum(errors) / len(xs)

model = Path("models") / f"lr-{lr:g}.py"
model.parent.mkdir(exist_ok=True)
model.write_text(
    '"""A line fitted by train.py."""\n\n\n'
    "def predict(args):\n"
    f'    return {{"prediction": round({slope!r} * float(args["x"]) + {intercept!r}, 3)}}\n'
)
call("PATCH", f"{RUNS}/{run['id']}", {"status": "FINISHED"})
print(f"lr={lr:g}: loss {loss:.4f} after {steps} steps, y = {slope:.3f} x + {intercept:.3f}")
