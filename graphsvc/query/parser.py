"""Query text -> typed syntax tree (``graphsvc/query/ast.py``), with errors people can act on.

The grammar is ``grammar.lark`` (LALR, contextual lexer). Every failure, whatever the input,
is an ``InvalidQuery`` naming the line and column, showing the line with a caret under the
fault, and saying what was expected there ("expected a number or a $parameter") or what was
probably meant ("fnd — did you mean find?").
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypedDict

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.tree import Meta
from pydantic import ValidationError

from graphsvc.errors import InvalidQuery
from graphsvc.model.properties import parse_datetime
from graphsvc.model.text import did_you_mean
from graphsvc.query import ast

GRAMMAR = Path(__file__).with_name("grammar.lark")
MAX_QUERY_CHARS = 20_000
MAX_NESTING = 64  # parentheses and brackets inside one another

# How the grammar's terminals read in an error message.
_READABLE = {
    "WORD": "a name",
    "NUMBER": "a number",
    "PARAM": "a $parameter",
    "PARAM_NAME": "a parameter name",
    "STRING": "a quoted string",
    "DATE": "a date",
    "DATETIME": "a date-time",
    "OPERATOR": "a comparison (= != < <= > >= ~)",
    "TRUE": "true",
    "FALSE": "false",
    "$END": "the end of the query",
}


@cache
def parser() -> Lark:
    return Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse(text: Any) -> ast.Query:
    """The syntax tree of ``text``; ``InvalidQuery`` for anything that is not a query."""
    if not isinstance(text, str):
        raise InvalidQuery(f"a query is text, got {type(text).__name__}")
    if not text.strip():
        raise InvalidQuery("the query is empty: start with a stage such as `find Person`")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"the query is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,}"
        )
    _check_nesting(text)
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except Exception as exc:  # lark's own failures on pathological input
        raise InvalidQuery(f"cannot read the query: {exc}") from None
    try:
        query = _Builder(text).transform(tree)
    except VisitError as exc:  # lark wraps what a rule raised
        if isinstance(exc.orig_exc, InvalidQuery):
            raise exc.orig_exc from None
        raise InvalidQuery(f"cannot read the query: {exc.orig_exc}") from None
    except RecursionError:
        raise InvalidQuery("the query is nested too deeply") from None
    except ValidationError as exc:  # a builder bug must still be a query error, never a crash
        raise InvalidQuery(f"cannot read the query: {exc.errors()[0]['msg']}") from None
    assert isinstance(query, ast.Query)
    return query


def excerpt(text: str, line: int, column: int) -> str:
    """The ``line`` of ``text`` with a caret under ``column``."""
    lines = text.splitlines() or [""]
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    number = f"{line} | "
    pad = " " * (len(number) - 2) + "| "
    caret = " " * max(column - 1, 0) + "^"
    return f"{number}{shown.expandtabs(1)}\n{pad}{caret}"


def located(
    text: str, line: int, column: int, message: str, field: str | None = None
) -> InvalidQuery:
    """An ``InvalidQuery`` pointing at ``line``/``column`` of ``text``."""
    return InvalidQuery(
        message, line=line, column=column, excerpt=excerpt(text, line, column), field=field
    )


# -- syntax errors -------------------------------------------------------------------------------


def _check_nesting(text: str) -> None:
    depth = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        for col, char in enumerate(line, start=1):
            if char in "([":
                depth += 1
                if depth > MAX_NESTING:
                    raise located(text, line_no, col, f"more than {MAX_NESTING} nested brackets")
            elif char in ")]":
                depth = max(depth - 1, 0)


def _syntax_error(text: str, exc: UnexpectedInput) -> InvalidQuery:
    line, column = exc.line, exc.column
    if line is None or line < 1:  # lark reports an unexpected end at -1
        line, column = _end_of(text)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream if exc.pos_in_stream is not None else -1
        char = text[pos] if 0 <= pos < len(text) else "?"
        message = f"unexpected character {char!r}"
        if char in "\"'":
            message = "this string is not closed on its line"
        expected = _expected(exc.allowed or set())
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            message = "the query ends too early"
            line, column = _end_of(text)
        else:
            message = f"unexpected {_shown(token)}"
        expected = _expected(exc.accepts or exc.expected)
        if re.fullmatch(r"[A-Za-z][A-Za-z_-]*", str(token)):
            message += did_you_mean(str(token).lower(), _keywords(exc.accepts or exc.expected))
    elif isinstance(exc, UnexpectedEOF):
        message = "the query ends too early"
        line, column = _end_of(text)
        expected = _expected(set(exc.expected))
    else:
        message, expected = "cannot read the query here", ""
    if expected:
        message += f"; expected {expected}"
    return located(text, line, column, message)


def _end_of(text: str) -> tuple[int, int]:
    lines = text.splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


def _shown(token: Token) -> str:
    value = str(token)
    if len(value) > 40:
        value = value[:37] + "..."
    return repr(value)


def _literal(name: str) -> str | None:
    """The text of a keyword or punctuation terminal, ``None`` for the open ones (names...)."""
    if name in _READABLE:
        return None
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return None
    value = pattern.value
    if pattern.type == "str":
        return str(value)
    word = re.fullmatch(r"([a-z-]+)\\b", str(value))
    return word.group(1) if word else None


def _keywords(names: set[str]) -> list[str]:
    found = []
    for name in names:
        literal = _literal(name)
        if literal is not None and literal[:1].isalpha():
            found.append(literal)
    return found


def _expected(names: set[str]) -> str:
    shown = set()
    for name in names:
        literal = _literal(name)
        shown.add(_READABLE.get(name, f"`{literal}`" if literal else name.lower()))
    items = sorted(shown)
    if len(items) > 12:
        items = [*items[:12], "..."]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


# -- the tree builder ----------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


class _Pos(TypedDict):
    line: int
    column: int


def _at(token: Token | Meta) -> _Pos:
    """Where a token or a rule starts (rules matching only punctuation may not know)."""
    return {
        "line": getattr(token, "line", None) or 1,
        "column": getattr(token, "column", None) or 1,
    }


class _Option:
    """A stage option on its way into the stage (``top 5``, ``via CALLED``...)."""

    def __init__(self, key: str, value: Any, where: Token | Meta) -> None:
        self.key, self.value, self.where = key, value, where


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _error(self, where: Token | Meta, message: str) -> InvalidQuery:
        pos = _at(where)
        return located(self.text, pos["line"], pos["column"], message)

    def _options(self, stage: str, children: list[Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for child in children:
            if not isinstance(child, _Option):
                continue
            if child.key in found:
                raise self._error(child.where, f"{stage}: `{child.key}` is given twice")
            found[child.key] = child.value
        return found

    # query and declarations

    def start(self, meta: Meta, children: list[Any]) -> ast.Query:
        *declarations, pipeline = children
        seen: set[str] = set()
        for d in declarations:
            if d.name in seen:
                raise located(self.text, d.line, d.column, f"parameter ${d.name} is declared twice")
            seen.add(d.name)
        return ast.Query(**_at(meta), declarations=tuple(declarations), pipeline=pipeline)

    def declaration(self, meta: Meta, children: list[Any]) -> ast.Declaration:
        name, (type_name, is_list), *default = children
        return ast.Declaration(
            **_at(name),
            name=str(name).lstrip("$"),
            type=type_name,
            list=is_list,
            default=default[0] if default else None,
        )

    def scalar_type(self, meta: Meta, children: list[Token]) -> tuple[ast.Name, bool]:
        return ast.Name(**_at(children[0]), value=str(children[0])), False

    def list_type(self, meta: Meta, children: list[Token]) -> tuple[ast.Name, bool]:
        return ast.Name(**_at(children[0]), value=str(children[0])), True

    def pipeline(self, meta: Meta, children: list[Any]) -> ast.Pipeline:
        return ast.Pipeline(**_at(meta), stages=tuple(children))

    # stages

    def find(self, meta: Meta, children: list[Any]) -> ast.Find:
        options = self._options("find", children)
        types = next((c for c in children if isinstance(c, tuple)), ())
        return ast.Find(**_at(meta), types=types, where=options.get("where"))

    def expand(self, meta: Meta, children: list[Any]) -> ast.Expand:
        options = self._options("expand", children)
        hops = next((c for c in children if not isinstance(c, _Option)), None)
        return ast.Expand(
            **_at(meta), hops=hops, via=options.get("via", ()), where=options.get("where")
        )

    def paths(self, meta: Meta, children: list[Any]) -> ast.Paths:
        target, *rest = children
        options = self._options("paths", rest)
        return ast.Paths(**_at(meta), to=target, **options)

    def filter(self, meta: Meta, children: list[Any]) -> ast.Filter:
        target: Literal["nodes", "links"] = "links" if "links" in children else "nodes"
        options = self._options("filter", children)
        return ast.Filter(**_at(meta), target=target, where=options["where"])

    def target(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0]).lower()

    def rank(self, meta: Meta, children: list[Any]) -> ast.Rank:
        measure, *rest = children
        options = self._options("rank", rest)
        return ast.Rank(
            **_at(meta), measure=ast.Name(**_at(measure), value=str(measure)), **options
        )

    def communities(self, meta: Meta, children: list[Any]) -> ast.Communities:
        options = self._options("communities", children)
        word = next((c for c in children if isinstance(c, Token)), None)
        algorithm = ast.Name(**_at(word), value=str(word)) if word is not None else None
        return ast.Communities(**_at(meta), algorithm=algorithm, **options)

    def hidden_links(self, meta: Meta, children: list[Any]) -> ast.HiddenLinks:
        options = self._options("hidden-links", children[1:])
        return ast.HiddenLinks(**_at(meta), **options)

    def limit(self, meta: Meta, children: list[Any]) -> ast.Limit:
        return ast.Limit(**_at(meta), count=children[0])

    def return_(self, meta: Meta, children: list[Any]) -> ast.Return:
        spec = children[0]
        if spec[0] == "table":
            return ast.Return(**_at(meta), table=spec[1], columns=spec[2])
        if spec[0] == "export":
            return ast.Return(**_at(meta), format=spec[1], purpose=spec[2])
        names: list[ast.Name] = spec[1]
        seen: set[str] = set()
        for name in names:
            if name.value.lower() in seen:
                raise located(
                    self.text, name.line, name.column, f"return: {name.value} is given twice"
                )
            seen.add(name.value.lower())
        return ast.Return(**_at(meta), parts=tuple(names))

    def return_spec(self, meta: Meta, children: list[ast.Name]) -> tuple[str, list[ast.Name]]:
        return "parts", children

    def return_part(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(**_at(children[0]), value=str(children[0]).lower())

    def table(self, meta: Meta, children: list[Any]) -> tuple[str, str, tuple[ast.Column, ...]]:
        source = next((c for c in children if isinstance(c, str)), "nodes")
        columns = tuple(c for c in children if isinstance(c, ast.Column))
        return "table", source, columns

    def export(self, meta: Meta, children: list[Token]) -> tuple[str, ast.Name, ast.Name | None]:
        names = [ast.Name(**_at(c), value=str(c)) for c in children]
        return "export", names[0], names[1] if len(names) > 1 else None

    def table_source(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0]).lower()

    def column(self, meta: Meta, children: list[Any]) -> ast.Column:
        field, *alias = children
        return ast.Column(**_at(meta), field=field, alias=str(alias[0]) if alias else None)

    # options

    def type_list(self, meta: Meta, children: list[Token]) -> tuple[ast.Name, ...]:
        return tuple(ast.Name(**_at(t), value=str(t)) for t in children)

    def via(self, meta: Meta, children: list[Any]) -> _Option:
        return _Option("via", children[0], meta)

    def where(self, meta: Meta, children: list[Any]) -> _Option:
        return _Option("where", children[0], meta)

    def count(self, meta: Meta, children: list[Token]) -> ast.Scalar | ast.Param:
        token = children[0]
        if token.type == "PARAM":
            return ast.Param(**_at(token), name=str(token)[1:])
        return self._number(token)

    def _single(key: str) -> Any:  # type: ignore[misc]  # noqa: N805 - a rule factory
        def rule(self: _Builder, meta: Meta, children: list[Any]) -> _Option:
            return _Option(key, children[0], meta)

        return rule

    within = _single("within")
    top = _single("top")
    seed = _single("seed")
    samples = _single("samples")
    resolution = _single("resolution")
    min_size = _single("min_size")
    min_score = _single("min_score")

    def directed(self, meta: Meta, children: list[Any]) -> _Option:
        return _Option("directed", True, meta)

    def path_option(self, meta: Meta, children: list[Any]) -> _Option:
        return children[0]  # type: ignore[no-any-return]

    def community_option(self, meta: Meta, children: list[Any]) -> _Option:
        return children[0]  # type: ignore[no-any-return]

    def hidden_option(self, meta: Meta, children: list[Any]) -> _Option:
        return children[0]  # type: ignore[no-any-return]

    def rank_option(self, meta: Meta, children: list[Any]) -> _Option:
        return children[0]  # type: ignore[no-any-return]

    def weighting(self, meta: Meta, children: list[Token]) -> _Option:
        return _Option("weighting", ast.Name(**_at(children[0]), value=str(children[0])), meta)

    def method_list(self, meta: Meta, children: list[Token]) -> _Option:
        names = tuple(ast.Name(**_at(t), value=str(t)) for t in children)
        return _Option("methods", names, meta)

    # conditions

    def any_of(self, meta: Meta, children: list[Any]) -> Any:
        return children[0] if len(children) == 1 else ast.AnyOf(**_at(meta), items=tuple(children))

    def all_of(self, meta: Meta, children: list[Any]) -> Any:
        return children[0] if len(children) == 1 else ast.AllOf(**_at(meta), items=tuple(children))

    def none_of(self, meta: Meta, children: list[Any]) -> ast.NoneOf:
        return ast.NoneOf(**_at(meta), item=children[0])

    def comparison(self, meta: Meta, children: list[Any]) -> ast.Comparison:
        field, operator, value = children
        return ast.Comparison(**_at(meta), field=field, operator=str(operator), value=value)  # type: ignore[arg-type]

    def membership(self, meta: Meta, children: list[Any]) -> ast.Comparison:
        field, value = children
        return ast.Comparison(**_at(meta), field=field, operator="in", value=value)

    def field(self, meta: Meta, children: list[Token]) -> tuple[str, ...]:
        return tuple(str(t) for t in children)

    # values

    def string(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return ast.Scalar(**_at(children[0]), type="string", value=_unquote(str(children[0])))

    def number(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return self._number(children[0])

    def _number(self, token: Token) -> ast.Scalar:
        text = str(token)
        value: int | float
        if re.fullmatch(r"-?\d+", text):
            value = int(text)
            if abs(value) > 2**53:
                raise self._error(token, f"{text} is too large a number")
        else:
            value = float(text)
            if not math.isfinite(value):
                raise self._error(token, f"{text} is too large a number")
        return ast.Scalar(**_at(token), type="number", value=value)

    def date(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return self._instant(children[0], "date")

    def datetime(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return self._instant(children[0], "datetime")

    def _instant(self, token: Token, kind: str) -> ast.Scalar:
        try:
            canonical = parse_datetime(str(token))
        except ValueError as exc:
            raise self._error(token, str(exc)) from None
        return ast.Scalar(**_at(token), type=kind, value=canonical)  # type: ignore[arg-type]

    def true(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return ast.Scalar(**_at(children[0]), type="boolean", value=True)

    def false(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return ast.Scalar(**_at(children[0]), type="boolean", value=False)

    def param(self, meta: Meta, children: list[Token]) -> ast.Param:
        return ast.Param(**_at(children[0]), name=str(children[0])[1:])

    def symbol(self, meta: Meta, children: list[Token]) -> ast.Scalar:
        return ast.Scalar(**_at(children[0]), type="symbol", value=str(children[0]))

    def list_value(self, meta: Meta, children: list[Any]) -> ast.ListValue:
        return ast.ListValue(**_at(meta), items=tuple(c for c in children if c is not None))
