"""Demo model: `predict(args)` answers {"prediction": ...} for {"x": <number>}."""

import json
from pathlib import Path
from typing import Any


def _coefficients() -> dict[str, float]:
    path = Path("model.json")
    if path.exists():
        fitted: dict[str, float] = json.loads(path.read_text())
        return fitted
    return {"slope": 2.0, "intercept": 0.0}


def predict(args: dict[str, Any]) -> dict[str, float]:
    x = float(args.get("x", 0))
    c = _coefficients()
    return {"prediction": c["slope"] * x + c["intercept"]}
