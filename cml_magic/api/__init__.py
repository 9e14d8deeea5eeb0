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
    Listing,
    Project,
    Resource,
    ShortProject,
    User,
)

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.experiment_objects import Experiment, ExperimentRun, Metric, MetricHistory
    from cml_magic.api.registry_objects import RegisteredModel, RegisteredModelVersion
    from cml_magic.api.run_objects import JobRun, Runtime
    from cml_magic.api.serving_objects import (
        Application,
        Model,
        ModelBuild,
        ModelDeployment,
    )
    from cml_magic.api.workspace_objects import (
        ApiKey,
        KeyCheck,
        NewApiKey,
        UsageRecord,
        WorkloadExecution,
    )


def __getattr__(name: str) -> Any:
    # The client (and `requests` with it) loads on first use: the widgets read this package's
    # status vocabulary without it. The run, runtime, model, application, experiment, registry
    # and workspace (keys, usage, workloads) classes load on first use too (a job listing needs
    # none).
    if name == "CML":
        from cml_magic.api.client import CML

        return CML
    if name in ("JobRun", "Runtime"):
        from cml_magic.api import run_objects

        return getattr(run_objects, name)
    if name in ("Application", "Model", "ModelBuild", "ModelDeployment"):
        from cml_magic.api import serving_objects

        return getattr(serving_objects, name)
    if name in ("Experiment", "ExperimentRun", "Metric", "MetricHistory"):
        from cml_magic.api import experiment_objects

        return getattr(experiment_objects, name)
    if name in ("RegisteredModel", "RegisteredModelVersion"):
        from cml_magic.api import registry_objects

        return getattr(registry_objects, name)
    if name in ("ApiKey", "KeyCheck", "NewApiKey", "UsageRecord", "WorkloadExecution"):
        from cml_magic.api import workspace_objects

        return getattr(workspace_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CML",
    "AmbiguousNameError",
    "ApiKey",
    "Application",
    "AuthError",
    "BadRequestError",
    "CMLConnectionError",
    "CMLError",
    "ConfigError",
    "ConflictError",
    "Experiment",
    "ExperimentRun",
    "FileInfo",
    "Job",
    "JobRun",
    "KeyCheck",
    "Listing",
    "Metric",
    "MetricHistory",
    "Model",
    "ModelBuild",
    "ModelCallError",
    "ModelDeployment",
    "NewApiKey",
    "NotFoundError",
    "Project",
    "RateLimitError",
    "RegisteredModel",
    "RegisteredModelVersion",
    "Resource",
    "Runtime",
    "ServerError",
    "ShortProject",
    "UsageRecord",
    "User",
    "WaitTimeout",
    "WorkloadExecution",
]
