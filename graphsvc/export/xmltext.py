"""XML text for the XML formats (GEXF, GraphML, i2 ANX): escaped values and safe comments.

The writers build XML as text, which is several times faster than building an element tree
for the sizes analysts export. Everything that reaches the text goes through ``attr``,
``content`` or ``comment``: characters XML 1.0 cannot carry (control characters, lone
surrogates, U+FFFE/U+FFFF) are dropped, markup characters are escaped, and a comment never
contains ``--``.
"""

from __future__ import annotations

import re

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
_HYPHENS = re.compile("-(?=-)")  # every hyphen followed by another: "---" -> "- - -"
_CONTENT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def clean(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot represent."""
    return _INVALID.sub("", value)


def attr(value: object) -> str:
    """``value`` as the content of a double-quoted attribute."""
    return clean(str(value)).translate(_ATTR)


def content(value: object) -> str:
    """``value`` as element text (a carriage return escaped, or readers make it a newline)."""
    return clean(str(value)).translate(_CONTENT)


def comment(lines: list[str]) -> str:
    """An XML comment holding ``lines``, one per line."""
    body = "\n".join("  " + _HYPHENS.sub("- ", clean(line)) for line in lines)
    if body.endswith("-"):
        body += " "
    return f"<!--\n{body}\n-->\n"
