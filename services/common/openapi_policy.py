"""Make every service's OpenAPI document say what the services do.

- Errors are `application/problem+json` with the `Problem` schema (RFC 9457),
  not flask-smorest's `application/json` `Error` shape.
- A schema may state rules that span fields (e.g. "a coordinator needs
  regions") as JSON Schema keywords in a class attribute `OPENAPI_EXTRA`;
  they are merged into its component.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields

PROBLEM_JSON = "application/problem+json"


class InvalidParam(Schema):
    name = fields.String(metadata={"description": "the field, dotted for nested ones (e.g. directors.0.email)"})
    reason = fields.String()


class ProblemSchema(Schema):
    class Meta:
        # RFC 9457 extension members (a conflict's current_state and allowed_next_states, a clash's
        # clashing_sessions): documented as allowed, not refused by additionalProperties: false.
        unknown = INCLUDE

    type = fields.String(metadata={"description": "urn:progadmin:problem:<kind> or about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String(metadata={"description": "the request path"})
    invalid_params = fields.List(fields.Nested(InvalidParam),
                                 metadata={"description": "every refused field (4xx for invalid input)"})


def _as_problem(response: Any) -> None:
    """Turn a documented error response's JSON content into problem+json with the Problem schema."""
    if not isinstance(response, dict):
        return
    content = response.get("content")
    if isinstance(content, dict) and "application/json" in content:
        content.pop("application/json")
        content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}


class ProblemPlugin(BasePlugin):
    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            for status, response in (operation.get("responses") or {}).items():
                if str(status) == "default" or str(status)[:1] in ("4", "5"):
                    _as_problem(response)

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        extra = getattr(schema, "OPENAPI_EXTRA", None)
        return dict(extra) if isinstance(extra, dict) else None


def install(api: Api) -> None:
    spec: APISpec = api.spec
    spec.components.schema("Problem", schema=ProblemSchema)
    # flask-smorest registered its default error responses already (lazily): rewrite them in place.
    for registry in (spec.components.responses_lazy, spec.components.responses):
        for response in registry.values():
            _as_problem(response)
    plugin = ProblemPlugin()
    plugin.init_spec(spec)
    plugins = spec.plugins
    assert isinstance(plugins, list)  # APISpec keeps the list it was given; its components share it
    plugins.append(plugin)  # so schemas and paths registered from now on pass through the plugin too


def page_responses(*, json_too: bool = False) -> dict[str, Any]:
    """The responses of a signed-link route that answers people with HTML pages, for `@blp.doc(responses=...)`.

    The page says yes or no in HTML; the input policy's refusals (and, with
    `json_too`, answers to clients that ask for JSON) are problem+json.
    """
    page = {"text/html": {"schema": {"type": "string"}}}
    ok = {**page, "application/json": {"schema": {"type": "object"}}} if json_too else page
    return {"200": {"description": "the page (HTML)", "content": ok},
            "default": {"description": "a refusal: a page for people, problem+json for the input policy",
                        "content": {**page, PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
