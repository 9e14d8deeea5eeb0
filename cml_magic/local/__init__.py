"""cml_magic.local: a local Cloudera Machine Learning server (API v2 + legacy Jobs API v1).

`LocalCML` starts it as a subprocess; `cml-local serve` runs it from a shell. Imports nothing
from the rest of cml_magic, and nothing heavy until a server is started.
"""

from cml_magic.local.harness import LocalCML, LocalCMLError

__all__ = ["LocalCML", "LocalCMLError"]
