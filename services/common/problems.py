"""Errors as `application/problem+json` (RFC 9457), one shape for every service.

Validation failures list every failing field in `invalid_params`
(name + reason), as the NLGov REST API Design Rules ask.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException, MethodNotAllowed

PROBLEM_TYPE_BASE = "urn:progadmin:problem:"


class Problem(HTTPException):
    """An HTTP error with extra members (e.g. current state and allowed transitions)."""

    def __init__(self, status: int, title: str, detail: str = "", *, kind: str | None = None,
                 **extra: Any) -> None:
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.kind = kind
        self.extra = extra


class Conflict(Problem):
    """409: the resource is in a state that does not allow this change."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(409, "Conflict", detail, kind="conflict", **extra)


class InvalidInput(Problem):
    """422 raised by a use case for input that is well-formed but unacceptable."""

    def __init__(self, invalid_params: dict[str, str | list[str]], detail: str = "") -> None:
        super().__init__(422, "Unprocessable Content", detail or "The request has invalid fields.",
                         kind="invalid-input", invalid_params=flatten_messages(invalid_params))


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested {field: [msg]} into [{name, reason}] with dotted names."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out += flatten_messages(value, name)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out += [{"name": prefix or "(body)", "reason": m} for m in messages]
        else:
            for m in messages:
                out += flatten_messages(m, prefix)
    else:
        out.append({"name": prefix or "(body)", "reason": str(messages)})
    return out


def problem_response(error: HTTPException, instance: str) -> Response:
    status = error.code or 500
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": getattr(error, "title", None) or error.name,
        "status": status,
        "instance": instance,
    }
    if error.description:
        body["detail"] = error.description
    headers: dict[str, str] = {}
    if isinstance(error, Problem):
        if error.kind:
            body["type"] = PROBLEM_TYPE_BASE + error.kind
        body.update(error.extra)
    data = getattr(error, "data", None)  # webargs puts validation messages here
    if isinstance(data, dict):
        messages = data.get("errors") or data.get("messages")
        if messages:
            # webargs nests by location ({"json": {...}}); the location is noise for clients
            if isinstance(messages, dict) and set(messages) <= {"json", "query", "path", "headers", "form"}:
                merged: dict[str, Any] = {}
                for part in messages.values():
                    merged.update(part if isinstance(part, dict) else {"(body)": part})
                messages = merged
            body["invalid_params"] = flatten_messages(messages)
            body["type"] = PROBLEM_TYPE_BASE + "invalid-input"
            body["detail"] = "The request has invalid fields."
        if data.get("headers"):
            headers.update(data["headers"])
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in headers.items():
        response.headers[key] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="progadmin"'
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110: a 405 lists what is allowed
    return response
