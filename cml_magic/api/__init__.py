"""cml_magic.api: a Python client of Cloudera Machine Learning API v2 (and the legacy Jobs API
v1), usable from any Python code.

```python
from cml_magic.api import CML

cml = CML.from_env()
for job in cml.jobs.list(project="risk-analysis"):
    print(job.name, job.id)
```
"""

from cml_magic.api.client import CML
from cml_magic.api.errors import (
    AmbiguousNameError,
    AuthError,
    BadRequestError,
    CMLConnectionError,
    CMLError,
    ConfigError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServerError,
    WaitTimeout,
)
from cml_magic.api.objects import (
    Application,
    FileInfo,
    Job,
    JobRun,
    KeyCheck,
    Listing,
    Model,
    ModelBuild,
    ModelDeployment,
    Project,
    Resource,
    Runtime,
    ShortProject,
    User,
)

__all__ = [
    "CML",
    "AmbiguousNameError",
    "Application",
    "AuthError",
    "BadRequestError",
    "CMLConnectionError",
    "CMLError",
    "ConfigError",
    "ConflictError",
    "FileInfo",
    "Job",
    "JobRun",
    "KeyCheck",
    "Listing",
    "Model",
    "ModelBuild",
    "ModelDeployment",
    "NotFoundError",
    "Project",
    "RateLimitError",
    "Resource",
    "Runtime",
    "ServerError",
    "ShortProject",
    "User",
    "WaitTimeout",
]
