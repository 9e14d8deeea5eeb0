"""Demo job: report the settings it was given, work a little, write a result file."""

import json
import os
import sys
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
