"""The HTTP face of graphsvc: a starlette app serving GraphQL, the SDL and a health check.

- ``POST /graphql``: GraphQL over HTTP (JSON ``{query, variables, operationName}``); in a
  browser, ``GET /graphql`` shows GraphiQL (a static page: it holds no data and every query it
  sends carries the token typed into its headers editor).
- ``GET /schema.graphql``: the SDL. ``GET /healthz``: store and audit log status, no token.
- ``GET /exports/{id}``: an export file the ``export`` mutation left for download, for the
  principal who made it only, until it expires; each download is audited.

Every other request needs ``Authorization: Bearer <token>`` and gets a 401 JSON error
without one. Each GraphQL request runs in a worker thread (the stores are synchronous) with a
``RequestContext`` built from the authenticated principal alone; after it ran, the
consultation is appended to the audit log *before* the answer is sent. If the log cannot be
written, no data leaves the server.

All errors have one shape: ``{"message": ..., "extensions": {"code": ...}}``, with
``extensions.field`` naming the argument when one is at fault.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import secrets
from datetime import date
from typing import Any

import anyio.to_thread
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from graphsvc import __version__
from graphsvc.api.auth import Authenticator, Caller
from graphsvc.api.context import RequestContext, Services
from graphsvc.api.schema import build_schema, sdl
from graphsvc.errors import GraphsvcError, InvalidQuery, Unauthenticated
from graphsvc.policy.scope import Scope

log = logging.getLogger("graphsvc.api")

MAX_JUSTIFICATION = 2000
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def create_app(
    services: Services, authenticator: Authenticator, *, today: date | None = None
) -> Starlette:
    """The ASGI app. ``today`` pins the date scopes are built for (tests); by default, today."""
    schema = build_schema(services.limits)
    sdl_text = sdl(schema)
    graphiql = get_graphql_ide_html("graphiql").replace(
        "shouldPersistHeaders: true", "shouldPersistHeaders: false"
    )

    async def graphql(request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(graphiql, headers=_NO_STORE)
        try:
            caller = authenticator.authenticate(request.headers.get("authorization"))
        except Unauthenticated as exc:
            return _unauthenticated(exc)
        if request.method != "POST":
            return _error(405, "send GraphQL requests with POST", "METHOD_NOT_ALLOWED")
        try:
            query, variables, operation = await _read_request(request, services.limits.max_body)
            justification = _justification(request)
        except _BadRequest as exc:
            return _error(exc.status, exc.message, exc.code)

        scope = Scope.of(caller.principal, services.schema.policy, today)
        ctx = RequestContext(services, caller, scope, justification)
        try:
            result = await anyio.to_thread.run_sync(
                functools.partial(
                    schema.execute_sync,
                    query,
                    variable_values=variables,
                    context_value=ctx,
                    operation_name=operation,
                    allowed_operation_types=(OperationType.QUERY, OperationType.MUTATION),
                )
            )
        except InvalidOperationTypeError as exc:
            kind = exc.operation_type.name.lower()
            return _error(
                200,
                f"only queries and mutations are served; this is a {kind}",
                "GRAPHQL_VALIDATION_FAILED",
            )
        errors = [_graphql_error(e) for e in result.errors or []]
        if ctx.operations:
            outcome = ",".join(sorted({e["extensions"]["code"] for e in errors})) or "OK"
            try:
                await anyio.to_thread.run_sync(
                    functools.partial(_audit, services, caller, ctx, outcome, request)
                )
            except Exception:
                log.exception("audit log append failed; the answer was withheld")
                return _error(
                    503,
                    "the audit log cannot be written, so no data is served; tell the operator",
                    "AUDIT_UNAVAILABLE",
                )
        for made in ctx.downloads:  # audited: now the caller may fetch them
            services.downloads.publish(made, caller.principal.id)
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, headers=_NO_STORE)

    async def schema_graphql(request: Request) -> Response:
        try:
            authenticator.authenticate(request.headers.get("authorization"))
        except Unauthenticated as exc:
            return _unauthenticated(exc)
        return PlainTextResponse(sdl_text, media_type="application/graphql")

    async def download(request: Request) -> Response:
        try:
            caller = authenticator.authenticate(request.headers.get("authorization"))
        except Unauthenticated as exc:
            return _unauthenticated(exc)
        export_id = request.path_params["export_id"]
        made = services.downloads.fetch(export_id, caller.principal.id)
        scope = Scope.of(caller.principal, services.schema.policy, today)
        try:
            justification = _justification(request)
        except _BadRequest as exc:
            return _error(exc.status, exc.message, exc.code)
        ctx = RequestContext(services, caller, scope, justification)
        ctx.operations.append({"name": "downloadExport", "arguments": {"exportId": export_id}})
        refused = services.require_justification and not justification
        if refused:
            made = None  # no file without a reason, as for every other consultation
        if made is not None:
            ctx.operations[-1]["arguments"].update(sha256=made.sha256, size=made.size)
        try:
            outcome = "JUSTIFICATION_REQUIRED" if refused else "OK" if made else "NOT_FOUND"
            await anyio.to_thread.run_sync(
                functools.partial(_audit, services, caller, ctx, outcome, request)
            )
        except Exception:
            log.exception("audit log append failed; the download was withheld")
            return _error(
                503,
                "the audit log cannot be written, so no data is served; tell the operator",
                "AUDIT_UNAVAILABLE",
            )
        if refused:
            return _error(
                400,
                "this server requires a reason for every consultation: send it in the "
                "X-Justification header (e.g. a case or warrant reference)",
                "JUSTIFICATION_REQUIRED",
            )
        if made is None:
            return _error(
                404, f"no export {export_id!r} for you (or it expired): export again", "NOT_FOUND"
            )
        return Response(
            made.content,
            media_type=made.media_type,
            headers={
                **_NO_STORE,
                "Content-Disposition": f'attachment; filename="{made.filename}"',
                "X-Handling": made.marking,
            },
        )

    async def healthz(request: Request) -> Response:
        checks: dict[str, str] = {}
        ok = True
        for name, probe in (("store", services.store.ping), ("audit", services.audit.ping)):
            try:
                await anyio.to_thread.run_sync(probe)
                checks[name] = "ok"
            except Exception as exc:
                ok = False
                checks[name] = f"unavailable: {exc}"
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "version": __version__, **checks},
            status_code=200 if ok else 503,
            headers=_NO_STORE,
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"no such endpoint: {request.url.path}", "NOT_FOUND")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, f"{request.method} is not allowed here", "METHOD_NOT_ALLOWED")

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/schema.graphql", schema_graphql, methods=["GET"]),
            Route("/exports/{export_id}", download, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )
    app.state.services = services
    app.state.authenticator = authenticator
    return app


# -- requests --------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, message: str, code: str = "INVALID_INPUT", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


async def _read_request(
    request: Request, max_body: int
) -> tuple[str, dict[str, Any] | None, str | None]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise _BadRequest(
            f"the request body is over {max_body} bytes (limit max_body)", "LIMIT_EXCEEDED", 413
        )
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_body:
            raise _BadRequest(
                f"the request body is over {max_body} bytes (limit max_body)",
                "LIMIT_EXCEEDED",
                413,
            )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "application/graphql-response+json"):
        raise _BadRequest(
            "send the request as JSON (Content-Type: application/json) with a 'query'", status=415
        )
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise _BadRequest("the body must be a JSON object {query, variables, operationName}")
    query, variables, operation = (
        payload.get("query"),
        payload.get("variables"),
        payload.get("operationName"),
    )
    if not isinstance(query, str) or not query.strip():
        raise _BadRequest("'query' must be a GraphQL document (a non-empty string)")
    if variables is not None and not isinstance(variables, dict):
        raise _BadRequest("'variables' must be a JSON object")
    if operation is not None and not isinstance(operation, str):
        raise _BadRequest("'operationName' must be a string")
    return query, variables, operation


def _justification(request: Request) -> str | None:
    raw = request.headers.get("x-justification")
    if raw is None:
        return None
    with contextlib.suppress(UnicodeError):  # clients send UTF-8; starlette reads latin-1
        raw = raw.encode("latin-1").decode("utf-8")
    text = " ".join(raw.split())
    if len(text) > MAX_JUSTIFICATION:
        raise _BadRequest(
            f"X-Justification is over {MAX_JUSTIFICATION} characters: give a reference, "
            "not the file"
        )
    return text or None


# -- answers ---------------------------------------------------------------------------------------


def _error(status: int, message: str, code: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers={**_NO_STORE, **headers},
    )


def _unauthenticated(exc: Unauthenticated) -> JSONResponse:
    return _error(
        401,
        exc.message,
        exc.code,
        **{"WWW-Authenticate": 'Bearer realm="graphsvc"'},
    )


def _graphql_error(error: GraphQLError) -> dict[str, Any]:
    """One error in the API's shape, whatever raised it."""
    out: dict[str, Any] = {}
    extensions: dict[str, Any] = {}
    original = error.original_error
    if isinstance(original, GraphsvcError):
        out["message"] = str(original)
        extensions["code"] = original.code
        if original.field:
            extensions["field"] = original.field
        if isinstance(original, InvalidQuery) and original.column is not None:
            extensions["line"], extensions["column"] = original.line, original.column
            extensions["excerpt"] = original.excerpt
    elif original is not None and not isinstance(original, GraphQLError):
        reference = secrets.token_hex(4)
        log.error("internal error %s at %s", reference, error.path, exc_info=original)
        out["message"] = f"internal error (reference {reference} in the server log)"
        extensions["code"] = "INTERNAL"
    else:
        out["message"] = error.message
        given = (error.extensions or {}).get("code") or (
            (original.extensions or {}).get("code") if isinstance(original, GraphQLError) else None
        )
        if given:
            extensions["code"] = given
        elif error.message.startswith("Syntax Error"):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        elif error.message.startswith("Variable '$") or "Expected value of type" in error.message:
            extensions["code"] = "INVALID_INPUT"
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    out["extensions"] = extensions
    return out


def _audit(
    services: Services, caller: Caller, ctx: RequestContext, outcome: str, request: Request
) -> None:
    services.audit.append(
        principal=caller.principal.id,
        agency=caller.principal.agency,
        auth=caller.auth,
        operations=ctx.operations,
        justification=ctx.justification,
        entities=ctx.entities,
        links=ctx.links,
        outcome=outcome,
        client=request.client.host if request.client else None,
    )
