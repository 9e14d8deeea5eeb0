"""`cml-local seed demo`: users alice and bob, demo projects, jobs and a model."""

from __future__ import annotations

from pathlib import Path

from cml_magic.local.bodies import CreateProject, JobFields
from cml_magic.local.context import Ctx
from cml_magic.local.routes_jobs import create_job
from cml_magic.local.routes_projects import create_project
from cml_magic.local.store import Store, private_files
from cml_magic.local.supervisor import Supervisor
from cml_magic.local.workloads.base import Settings

DEMOS = ("demo",)


Keys = dict[str, dict[str, str]]


def seed_demo(data_dir: Path) -> Keys:
    """Create the demo data (once: a second call changes nothing). Answers the keys of the
    users made now, `{user: {"api_key": v2 key, "legacy_key": legacy key}}`: the store keeps
    only hashes, so an already seeded folder answers `{}`."""
    with private_files():
        return _seed_demo(data_dir)


def _seed_demo(data_dir: Path) -> Keys:
    store = Store(data_dir)
    made: Keys = {}
    try:
        sup = Supervisor(store, Settings())
        for username, name in (("alice", "Alice Analyst"), ("bob", "Bob Builder")):
            if store.user(username) is None:
                row = store.create_user(username, name=name)
                made[username] = {"api_key": row["api_key"], "legacy_key": row["legacy_key"]}
        alice = Ctx(store, sup, store.user("alice") or {})
        bob = Ctx(store, sup, store.user("bob") or {})
        if not store.find("project", None, owner="alice", slug="risk-analysis"):
            risk = create_project(
                alice,
                CreateProject(
                    name="risk-analysis",
                    description="Credit risk analysis (public demo project)",
                    visibility="public",
                    template="python",
                    environment={"ANALYSIS_REGION": "emea", "ANALYSIS_LEVEL": "project"},
                ),
            )
            create_job(
                alice,
                risk,
                JobFields(
                    name="nightly",
                    script="analysis.py",
                    arguments="--mode full",
                    environment={"ANALYSIS_LEVEL": "job", "ANALYSIS_OWNER": "alice"},
                ),
                legacy_id=208,
            )
            create_job(alice, risk, JobFields(name="fit", script="fit.py"))
            create_job(
                alice,
                risk,
                JobFields(name="quick-check", script="analysis.py", timeout=60),
            )
        if not store.find("project", None, owner="alice", slug="churn-model"):
            churn = create_project(
                alice,
                CreateProject(
                    name="churn-model",
                    description="Customer churn model (private)",
                    visibility="private",
                    template="python",
                ),
            )
            create_job(
                alice, churn, JobFields(name="train", script="fit.py", environment={"EPOCHS": "3"})
            )
        if not store.find("project", None, owner="bob", slug="bob-sandbox"):
            create_project(
                bob,
                CreateProject(
                    name="bob-sandbox", description="Bob's private sandbox", template="python"
                ),
            )
        return made
    finally:
        store.close()
