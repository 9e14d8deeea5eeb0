"""The pure pieces: secret masking, status phases, links, front-end detection, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cml_magic.api.masking import MASK, is_secret
from cml_magic.api.masking import mask_environment as masked
from cml_magic.api.masking import mask_text as masked_text
from cml_magic.widgets import in_widget_frontend, links
from cml_magic.widgets.status import Activity, phase


@pytest.mark.parametrize(
    "name", ["API_KEY", "aws_secret_access_key", "GH_TOKEN", "DB_PASSWORD", "SMTP_PASS",
             "GOOGLE_CREDENTIALS", "PRIVATE_PEM", "CDSW_APIV2_KEY"],
)  # fmt: skip
def test_secret_looking_names(name):
    assert is_secret(name)


@pytest.mark.parametrize("name", ["REGION", "EPOCHS", "ANALYSIS_LEVEL", "PATH"])
def test_ordinary_names(name):
    assert not is_secret(name)


def test_masked_environment_keeps_names_and_hides_values():
    assert masked({"REGION": "emea", "API_KEY": "abc"}) == {"REGION": "emea", "API_KEY": MASK}
    assert masked(None) == {}


def test_masked_text_hides_assigned_secrets_in_logs():
    log = "REGION=emea\nexport DB_PASSWORD=hunter2\nAPI_TOKEN: xyz extra\npassword_hint=none"
    out = masked_text(log)
    assert "hunter2" not in out and "xyz" not in out
    assert "REGION=emea" in out and f"DB_PASSWORD={MASK}" in out and "extra" in out


@pytest.mark.parametrize(
    ("kind", "status", "label", "activity", "succeeded"),
    [
        ("run", "ENGINE_SCHEDULING", "scheduling", Activity.ACTIVE, False),
        ("run", "ENGINE_SUCCEEDED", "succeeded", Activity.FINAL, True),
        ("run", "ENGINE_TIMEDOUT", "timed out", Activity.FINAL, False),
        ("build", "build failed", "build failed", Activity.FINAL, False),
        ("build", "BUILT", "built", Activity.FINAL, True),
        ("deployment", "deployed", "deployed", Activity.SETTLED, True),
        ("application", "APPLICATION_STOPPED", "stopped", Activity.FINAL, False),
        ("run", "ENGINE_FROM_THE_FUTURE", "engine_from_the_future", Activity.ACTIVE, False),
    ],
)
def test_phases(kind, status, label, activity, succeeded):
    info = phase(kind, status)
    assert (info.label, info.activity, info.succeeded) == (label, activity, succeeded)


def test_links_follow_the_web_ui_layout():
    assert links.run_url("https://ml.example.com/", "alice", "risk-analysis", "abc") == (
        "https://ml.example.com/alice/risk-analysis/engines/abc"
    )
    assert links.model_url("https://h", "a b", "p", "m1") == "https://h/a%20b/p/models/m1"


def test_frontend_detection(monkeypatch):
    assert in_widget_frontend() is False  # pytest is no kernel
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    assert in_widget_frontend() is True
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "off")
    assert in_widget_frontend() is False


def test_importing_the_package_loads_neither_ipywidgets_nor_the_client():
    code = (
        "import sys, cml_magic.widgets as w; "
        "assert callable(w.watch) and callable(w.get_poller); "
        "print(sorted(m for m in ('ipywidgets', 'requests', 'cml_magic.api.client') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
