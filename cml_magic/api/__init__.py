"""cml_magic.api: a Python client of Cloudera Machine Learning API v2 (and the legacy Jobs API
v1), usable from any Python code.

```python
from cml_magic.api import CML

cml = CML.from_env()
for job in cml.jobs.list(project="risk-analysis"):
    print(job.name, job.id)
```
"""

from typing import TYPE_CHECKING, Any

from cml_magic.api.errors import (
    AmbiguousNameError,
    AuthError,
    BadRequestError,
    CMLConnectionError,
    CMLError,
    ConfigError,
    ConflictError,
    ModelCallError,
    NotFoundError,
    RateLimitError,
    ServerError,
    WaitTimeout,
)
from cml_magic.api.objects import (
    FileInfo,
    Job,
    JobRun,
    KeyCheck,
    Listing,
    Project,
    Resource,
    Runtime,
    ShortProject,
    User,
)

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.registry_objects import RegisteredModel, RegisteredModelVersion
    from cml_magic.api.serving_objects import (
        Application,
        Model,
        ModelBuild,
        ModelDeployment,
    )


def __getattr__(name: str) -> Any:
    # The client (and `requests` with it) loads on first use: the widgets read this package's
    # status vocabulary without it. The model and application classes load on first use too
    # (a job listing needs none).
    if name == "CML":
        from cml_magic.api.client import CML

        return CML
    if name in ("Application", "Model", "ModelBuild", "ModelDeployment"):
        from cml_magic.api import serving_objects

        return getattr(serving_objects, name)
    if name in ("RegisteredModel", "RegisteredModelVersion"):
        from cml_magic.api import registry_objects

        return getattr(registry_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "ModelCallError",
    "ModelDeployment",
    "NotFoundError",
    "Project",
    "RateLimitError",
    "RegisteredModel",
    "RegisteredModelVersion",
    "Resource",
    "Runtime",
    "ServerError",
    "ShortProject",
    "User",
    "WaitTimeout",
]
