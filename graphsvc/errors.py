"""The one error hierarchy of graphsvc.

Every error raised on purpose derives from :class:`GraphsvcError` and carries a stable
``code`` that the CLI prints and the API maps to its error shape. Errors about a particular
input name where it is: ``file``, ``line`` and ``field`` when known.
"""

from __future__ import annotations

from pydantic import ValidationError


class GraphsvcError(Exception):
    """Root of every deliberate graphsvc error."""

    code = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def location(self) -> str:
        """``file:line: field`` prefix, with whatever parts are known."""
        parts = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class InvalidInput(GraphsvcError):
    """A record, argument or value does not meet the model or the schema.

    A record can be wrong in several places at once: ``problems`` lists each ``(field,
    reason)``; the message joins them.
    """

    code = "INVALID_INPUT"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        problems: list[tuple[str | None, str]] | None = None,
    ) -> None:
        super().__init__(message, file=file, line=line, field=field)
        self.problems = problems if problems is not None else [(field, message)]

    @classmethod
    def of(cls, problems: list[tuple[str | None, str]]) -> InvalidInput:
        """One error for several problems of the same record."""
        message = "; ".join(f"{f}: {m}" if f else m for f, m in problems)
        if len(problems) == 1:
            return cls(problems[0][1], field=problems[0][0])
        return cls(message, problems=problems)


class InvalidMapping(GraphsvcError):
    """A CSV mapping, source definition or ingestion manifest is wrong."""

    code = "INVALID_MAPPING"


class InvalidSchema(GraphsvcError):
    """The entity/link schema or the handling policy in ``schema/`` is wrong."""

    code = "INVALID_SCHEMA"


class InvalidConfig(GraphsvcError):
    """A configuration file (principals, sources) or setting is wrong."""

    code = "INVALID_CONFIG"


class InvalidQuery(GraphsvcError):
    """A DSL query cannot be parsed, planned or run with the parameters given.

    ``line`` and ``column`` (1-based) point into the query text when the fault is in it;
    ``excerpt`` is that line with a caret under the column, for people reading the error.
    """

    code = "INVALID_QUERY"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        excerpt: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, line=line, field=field)
        self.column = column
        self.excerpt = excerpt

    def location(self) -> str:
        where = (
            super().location() if self.column is None else f"line {self.line}, column {self.column}"
        )
        if self.column is not None and self.field:
            where = f"{self.field}: {where}"
        return where

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n{self.excerpt}" if self.excerpt else text


class NotFound(GraphsvcError):
    """The thing asked for does not exist, or the caller may not see it (never distinguished)."""

    code = "NOT_FOUND"


class Unauthenticated(GraphsvcError):
    """No credentials, or credentials that do not identify a principal."""

    code = "UNAUTHENTICATED"


class Forbidden(GraphsvcError):
    """The caller is known but lacks the role for this operation."""

    code = "FORBIDDEN"


class LimitExceeded(GraphsvcError):
    """A request asks for more than a configured maximum allows."""

    code = "LIMIT_EXCEEDED"


class StoreError(GraphsvcError):
    """The store cannot do what was asked (corrupt file, disk full, incompatible version)."""

    code = "STORE_ERROR"


class JustificationRequired(GraphsvcError):
    """The server requires a justification (``X-Justification``) for every consultation."""

    code = "JUSTIFICATION_REQUIRED"


class BackendUnavailable(GraphsvcError):
    """The storage backend cannot be reached."""

    code = "BACKEND_UNAVAILABLE"


class Conflict(GraphsvcError):
    """What was asked contradicts what the store holds now (a merge that would lose a record,
    undoing a correction the graph has moved on from, or one already undone); nothing was
    changed."""

    code = "CONFLICT"


class OcrUnavailable(GraphsvcError):
    """A document needs OCR and Tesseract (or one of its language packs) is not installed.

    The message names what is missing and how to install it; ``file`` is the document.
    """

    code = "OCR_UNAVAILABLE"


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """Where (the dotted path of the field) and what pydantic found first."""
    first = exc.errors(include_url=False)[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]
