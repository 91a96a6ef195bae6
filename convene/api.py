"""Request parsing into validated schemas, JSON responses, and the OpenAPI document built from routes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from convene.errors import BadRequest, Invalid, NotAuthenticated
from convene.security import CSRF_FIELD

M = TypeVar("M", bound=BaseModel)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        # pydantic's "Value error, ..." prefix means nothing to a person.
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        fields.setdefault(name, message[:1].upper() + message[1:])
    return fields


def validate(schema: type[M], data: Any) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise Invalid(fields=_field_errors(exc)) from None


def form_to_dict(form: FormData) -> dict[str, Any]:
    """Repeated fields become lists; empty optional fields become None; the CSRF field goes."""
    data: dict[str, Any] = {}
    for key in form.keys():
        if key == CSRF_FIELD:
            continue
        values = form.getlist(key)
        data[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return {k.removesuffix("[]"): v for k, v in data.items()}


async def read_input(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        return body
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")) or not ctype:
        return form_to_dict(await request.form())
    raise BadRequest("Send JSON (application/json) or a form.")


async def parse(request: Request, schema: type[M]) -> M:
    return validate(schema, await read_input(request))


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [dump(v) for v in value]
    return value


def json_response(value: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(dump(value), status_code=status_code)


def require_user(request: Request) -> Any:
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated()
    return user


@dataclass
class ApiOperation:
    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    auth: bool = False
    query: dict[str, str] = field(default_factory=dict)


def api(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    auth: bool = False,
    query: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Route]:
    """Declare a JSON API route; the OpenAPI document is generated from these declarations."""

    def decorate(endpoint: Callable[..., Any]) -> Route:
        op = ApiOperation(method, path, summary, tag, body, response, many, status, auth, query or {})
        endpoint.__openapi__ = op  # type: ignore[attr-defined]
        return Route(path, endpoint, methods=[method], name=endpoint.__name__)

    return decorate


_PARAM = re.compile(r"{([a-zA-Z_]+)(?::([a-z]+))?}")


def _walk(routes: list[BaseRoute]) -> list[ApiOperation]:
    ops = []
    for route in routes:
        if isinstance(route, Mount):
            ops.extend(_walk(list(route.routes)))
        elif isinstance(route, Route) and hasattr(route.endpoint, "__openapi__"):
            ops.append(route.endpoint.__openapi__)
    return ops


def build_openapi(routes: list[BaseRoute], title: str, version: str) -> dict[str, Any]:
    ops = _walk(routes)
    models = {m for op in ops for m in (op.body, op.response) if m is not None}
    refs, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: (m.__name__, m.__module__))],
        ref_template="#/components/schemas/{model}",
    )
    # Two packages may each have a schema of the same name (RoleIn); pydantic then qualifies
    # the names, so every reference is taken from what it generated, never from __name__.
    ref_of = {model: schema for (model, _), schema in refs.items()}
    error_schema = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["code", "message"],
            }
        },
    }
    schemas = dict(defs.get("$defs", {}))
    schemas["Error"] = error_schema
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", op.path)
        params = [
            {
                "name": m.group(1),
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if m.group(2) == "int" else "string"},
            }
            for m in _PARAM.finditer(op.path)
        ]
        params += [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
             "description": desc}
            for name, desc in op.query.items()
        ]  # fmt: skip
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower())}",
            "responses": {
                "4XX": {
                    "description": "A problem a person can read in error.message",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        }
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref_of[op.body]}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if op.response is not None:
            ref = ref_of[op.response]
            schema = {"type": "array", "items": ref} if op.many else ref
            ok["content"] = {"application/json": {"schema": schema}}
        entry["responses"][str(op.status)] = ok
        if op.auth:
            entry["security"] = [{"session": []}, {"token": []}]
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "convene_session"},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
    }
