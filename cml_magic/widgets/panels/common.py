"""What several panels need: a project picker and project labels."""

from __future__ import annotations

import ipywidgets as w

from cml_magic.api.objects import Project
from cml_magic.widgets.controller import Controller, username
from cml_magic.widgets.parts import Messages


def project_label(project: Project) -> str:
    owner = username(project.owner)
    return f"{owner}/{project.name}" if owner else str(project.name)


def project_picker(controller: Controller, project: str | None, messages: Messages) -> w.Dropdown:
    """A dropdown of the projects the user sees (label owner/name, value id)."""
    options: list[tuple[str, str]] = []
    chosen = None
    projects = messages.run(lambda: controller.projects(limit=200)) or []
    for p in projects:
        options.append((project_label(p), p.id))
    wanted = project if project is not None else controller.default_project
    if wanted:
        for p in projects:
            if wanted in (p.id, p.name):
                chosen = p.id
        if chosen is None:  # not in the first page, or given by another spelling
            found = messages.run(lambda: controller.project(wanted))
            if found is not None:
                options.insert(0, (project_label(found), found.id))
                chosen = found.id
    picker = w.Dropdown(options=options, value=chosen, description="Project")
    picker.add_class("cml-project-picker")
    return picker
