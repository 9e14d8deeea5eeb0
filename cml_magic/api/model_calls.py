"""Calling a deployed model: the request CML's model service takes, its answer, and the
ready-to-copy examples of a call (the access key masked).

CML serves every model of a workspace at one address (`CML.model_endpoint`): `POST` a JSON
body `{"accessKey": <the model's access key>, "request": <the payload>}` with the caller's
API key as `Authorization: Bearer` (what CML's own projects send); the answer is
`{"success": true, "response": <the function's result>}`, or `success: false` and a message.
"""

from __future__ import annotations

import json
from typing import Any

from cml_magic.api.config import mask
from cml_magic.api.errors import ModelCallError

EXAMPLE_PAYLOAD: dict[str, Any] = {"x": 1}


def request_body(access_key: str, payload: Any) -> dict[str, Any]:
    """The body of a model call."""
    return {"accessKey": access_key, "request": payload}


def check_payload(payload: Any) -> None:
    """`TypeError` for a payload JSON cannot carry (a set, an object, NaN)."""
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the payload of a model call must be JSON: {exc}") from None


def response_of(answer: Any, model: str, endpoint: str) -> Any:
    """The model's result from the service's answer; `ModelCallError` for `success: false`
    or an answer that is not the service's envelope."""
    if not isinstance(answer, dict) or "success" not in answer:
        raise ModelCallError(
            f"model {model}: the answer is not a model response: {json.dumps(answer)[:120]}",
            method="POST",
            path=endpoint,
        )
    if answer.get("success") is not True:
        reason = answer.get("message") or answer.get("error") or "success is false"
        raise ModelCallError(f"model {model}: {reason}", method="POST", path=endpoint)
    return answer.get("response")


def curl_example(endpoint: str, access_key: str, payload: Any = None) -> str:
    """A `curl` call of the model; the API key is read from `$CDSW_APIV2_KEY`."""
    body = json.dumps(request_body(mask(access_key) or "<access key>", _payload(payload)))
    return (
        f"curl -X POST {endpoint} \\\n"
        '  -H "Content-Type: application/json" \\\n'
        '  -H "Authorization: Bearer $CDSW_APIV2_KEY" \\\n'
        f"  -d '{body}'"
    )


def python_example(endpoint: str, access_key: str, payload: Any = None) -> str:
    """A `requests` call of the model; the API key is read from `$CDSW_APIV2_KEY`."""
    body = json.dumps(request_body(mask(access_key) or "<access key>", _payload(payload)))
    return (
        "import os, requests\n"
        "answer = requests.post(\n"
        f'    "{endpoint}",\n'
        f"    json={body},\n"
        '    headers={"Authorization": "Bearer " + os.environ["CDSW_APIV2_KEY"]},\n'
        ")\n"
        'print(answer.json()["response"])'
    )


def _payload(payload: Any) -> Any:
    return EXAMPLE_PAYLOAD if payload is None else payload
