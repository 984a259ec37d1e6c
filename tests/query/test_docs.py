"""The README's grammar reference is the grammar the parser uses, and its examples run."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_readme_grammar_is_the_parsers_grammar() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- grammar:start -->\n```lark\n(.*?)```\n<!-- grammar:end -->", readme, re.S
    )
    assert block is not None, "the README has no grammar reference block"
    grammar = (REPO / "graphsvc" / "query" / "grammar.lark").read_text(encoding="utf-8")
    assert block.group(1) == grammar
