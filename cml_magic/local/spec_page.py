"""`/api/v2/swagger.html`: the workspace's Swagger 2.0 spec as one self-contained HTML page
(no script, nothing fetched from elsewhere, so it reads offline): every operation with its
method, path, summary, tag, parameters and answers, then every model, each with an anchor."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .5em; text-align: left; }
td { vertical-align: top; }
h1, h2, h3, p, td { overflow-wrap: anywhere; }
section { border-top: 1px solid #bbb; margin-top: 1.5em; }
.method { font-family: monospace; font-weight: bold; text-transform: uppercase; }
.text { white-space: pre-line; }
"""


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _slug(kind: str, name: str) -> str:
    return kind + "-" + re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def snake_case(operation_id: str) -> str:
    """A client method's name: `ListProjects` -> `list_projects`, `ValidateAPIKey` ->
    `validate_api_key` (as the generated clients name operations)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", operation_id)
    name = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lower()


def _type(schema: dict[str, Any]) -> str:
    """A parameter's or property's type as HTML: a model links to its section."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return f'<a href="#{_e(_slug("model", name))}">{_e(name)}</a>'
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return "array of " + _type(_d(schema.get("items")))
    if schema.get("format") not in (None, kind):
        kind += f" ({schema['format']})"
    return _e(kind)


def _text(value: Any) -> str:
    return f'<p class="text">{_e(value)}</p>' if value else ""


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[Any]]]:
    found = []
    for path, item in sorted(_d(spec.get("paths")).items()):
        shared = _l(_d(item).get("parameters"))
        for method in _METHODS:
            if isinstance(_d(item).get(method), dict):
                op = item[method]
                found.append((method, str(path), op, shared + _l(op.get("parameters"))))
    return found


def _operation(method: str, path: str, op: dict[str, Any], params: list[Any]) -> str:
    op_id = str(op.get("operationId") or f"{method} {path}")
    tags = ", ".join(str(t) for t in _l(op.get("tags"))) or "untagged"
    out = [
        f'<section id="{_e(_slug("op", op_id))}">',
        f'<h3><span class="method">{_e(method)}</span> <code>{_e(path)}</code></h3>',
        _text(op.get("summary")),
        _text(op.get("description")) if op.get("description") != op.get("summary") else "",
        f"<p>operationId <code>{_e(op_id)}</code>, Python <code>{_e(snake_case(op_id))}</code>"
        f", tag {_e(tags)}</p>",
    ]
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th>")
        out.append("<th>description</th></tr>")
        for param in map(_d, params):
            schema = _d(param.get("schema")) if param.get("in") == "body" else param
            out.append(
                f"<tr><td><code>{_e(param.get('name', ''))}</code></td>"
                f"<td>{_e(param.get('in', ''))}</td><td>{_type(schema)}</td>"
                f"<td>{'yes' if param.get('required') else 'no'}</td>"
                f'<td class="text">{_e(param.get("description", ""))}</td></tr>'
            )
        out.append("</table>")
    answers = _d(op.get("responses"))
    if answers:
        out.append("<table><tr><th>answer</th><th>type</th><th>description</th></tr>")
        for status, answer in answers.items():
            schema = _d(_d(answer).get("schema"))
            out.append(
                f"<tr><td>{_e(status)}</td><td>{_type(schema) if schema else ''}</td>"
                f"<td>{_e(_d(answer).get('description', ''))}</td></tr>"
            )
        out.append("</table>")
    out.append("</section>")
    return "\n".join(part for part in out if part)


def _model(name: str, model: dict[str, Any]) -> str:
    out = [f'<section id="{_e(_slug("model", name))}">', f"<h3>{_e(name)}</h3>"]
    out.append(_text(model.get("description") or model.get("title")))
    props = _d(model.get("properties"))
    if props:
        out.append("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
        for field, prop in props.items():
            prop = _d(prop)
            about = prop.get("description") or prop.get("title") or ""
            out.append(
                f"<tr><td><code>{_e(field)}</code></td><td>{_type(prop)}</td>"
                f'<td class="text">{_e(about)}</td></tr>'
            )
        out.append("</table>")
    elif "enum" in model:
        out.append("<p>one of " + ", ".join(f"<code>{_e(v)}</code>" for v in model["enum"]))
    out.append("</section>")
    return "\n".join(part for part in out if part)


def render(spec_json: bytes) -> str:
    """The page for a spec (any JSON: what is not Swagger-shaped is left out)."""
    spec = _d(json.loads(spec_json))
    info = _d(spec.get("info"))
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    ops = _operations(spec)
    by_tag: dict[str, list[tuple[str, str, dict[str, Any], list[Any]]]] = {}
    for entry in ops:
        for tag in _l(entry[2].get("tags")) or ["untagged"]:
            by_tag.setdefault(str(tag), []).append(entry)
    models = sorted(_d(spec.get("definitions")).items())
    out = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        _text(info.get("description")),
        f"<p>{len(ops)} operations and {len(models)} models. The spec itself: "
        '<a href="swagger.json">swagger.json</a>; the Python client: '
        '<a href="python.html">python.html</a>.</p>',
        "<h2>Operations</h2>",
    ]
    for tag, entries in sorted(by_tag.items()):
        out.append(f"<h3>{_e(tag)}</h3><table>")
        for method, path, op, _ in entries:
            op_id = str(op.get("operationId") or f"{method} {path}")
            out.append(
                f'<tr><td class="method">{_e(method)}</td><td><a href="#'
                f'{_e(_slug("op", op_id))}"><code>{_e(path)}</code></a></td>'
                f"<td>{_e(op.get('summary', ''))}</td></tr>"
            )
        out.append("</table>")
    out += [_operation(*entry) for entry in ops]
    out.append("<h2>Models</h2>")
    out += [_model(str(name), _d(model)) for name, model in models]
    out.append("</body></html>\n")
    return "\n".join(part for part in out if part)
