"""`python -m cml_magic.local ...` is `cml-local ...`."""

import sys

from cml_magic.local.cli import main

sys.exit(main())
