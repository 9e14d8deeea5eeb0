"""The browser tests' fixtures: JupyterLab on a local CML server of its own (a module may
define its own `cml_server`: `lab` serves that one)."""

from __future__ import annotations

import pytest
from support.lab import Lab


@pytest.fixture
def cml_server(local_cml_factory):
    # Visible phases: the browser must be able to see "running".
    return local_cml_factory(phase_delay=0.3)


@pytest.fixture
def lab(tmp_path, cml_server):
    root = tmp_path / "root"
    root.mkdir()
    env = {
        "CML_MAGIC_HOST": cml_server.url,
        "CML_MAGIC_API_KEY": cml_server.api_key,
        "CML_MAGIC_PROJECT": "risk-analysis",
        "CML_MAGIC_CONFIG": str(tmp_path / "no-config.toml"),
    }
    server = Lab(root, tmp_path, env)
    try:
        yield server.start()
    finally:
        server.stop()
