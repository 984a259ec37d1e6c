"""One call from query text to answer: parse, bind the parameters, plan, execute.

Everything before ``execute`` fails fast: a syntax error, a wrong or missing parameter, an
unknown name or a size over a limit stops the query before it reads anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope
from graphsvc.query import params as params_
from graphsvc.query.execute import QueryResult, execute
from graphsvc.query.parser import parse
from graphsvc.query.plan import Plan, QueryLimits, plan
from graphsvc.store.protocol import GraphStore


def compile_query(
    text: Any,
    given: Mapping[str, Any] | None,
    schema: Schema,
    limits: QueryLimits,
    *,
    declared_only: bool = False,
) -> Plan:
    """The validated plan of ``text`` with the parameters ``given``."""
    query = parse(text)
    values = params_.bind(query, text, given, declared_only=declared_only)
    return plan(query, text, values, schema, limits)


def run_query(
    store: GraphStore,
    scope: Scope,
    text: Any,
    given: Mapping[str, Any] | None = None,
    limits: QueryLimits | None = None,
    *,
    declared_only: bool = False,
) -> QueryResult:
    """The answer to ``text`` in ``scope``."""
    chosen = limits or QueryLimits()
    compiled = compile_query(text, given, store.schema, chosen, declared_only=declared_only)
    return execute(store, scope, compiled, chosen)
