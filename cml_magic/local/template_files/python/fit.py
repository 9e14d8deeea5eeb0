"""Demo job: fit a straight line to a few points and save its coefficients."""

import json
import os
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
