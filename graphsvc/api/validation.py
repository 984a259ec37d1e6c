"""Static limits on the shape of a GraphQL request: depth, aliases and top-level operations.

They run with GraphQL validation, before anything executes, so a request over a limit costs
nothing but its parsing. Each error names the limit (``extensions.code`` LIMIT_EXCEEDED).
Fragment cycles are refused by GraphQL's own validation; this walk also stops at a fragment
it is already inside so that it terminates on any document.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from graphql.language import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ASTValidationRule, ValidationContext, ValidationRule

from graphsvc.api.config import Limits


def limit_rules(limits: Limits) -> list[type[ASTValidationRule]]:
    class RequestShape(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.aliases = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.aliases += 1
                if self.aliases == limits.max_aliases + 1:
                    self.report_error(
                        _over(f"more than {limits.max_aliases} aliases (limit max_aliases)", node)
                    )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context = self.context
            roots = _count_root_fields(context, node.selection_set)
            if roots > limits.max_root_fields:
                self.report_error(
                    _over(
                        f"{roots} top-level operations in one request; at most "
                        f"{limits.max_root_fields} (limit max_root_fields)",
                        node,
                    )
                )
            depth = _depth(context, node.selection_set)
            if depth > limits.max_depth:
                self.report_error(
                    _over(
                        f"the query is nested {depth} levels deep; at most {limits.max_depth} "
                        "(limit max_depth)",
                        node,
                    )
                )

    return [RequestShape]


def _over(message: str, node: Any) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": "LIMIT_EXCEEDED"})


def _count_root_fields(context: ValidationContext, selection_set: SelectionSetNode) -> int:
    """Top-level fields, fragments included (each fragment counted once, then reused)."""
    memo: dict[str, int] = {}

    def count(selections: SelectionSetNode | None, inside: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections if selections is not None else ():
            if isinstance(selection, FieldNode):
                total += 0 if selection.name.value.startswith("__") else 1
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, inside)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in inside:
                    continue
                if name not in memo:
                    fragment = context.get_fragment(name)
                    memo[name] = (
                        0 if fragment is None else count(fragment.selection_set, inside | {name})
                    )
                total += memo[name]
        return total

    return count(selection_set, frozenset())


def _depth(context: ValidationContext, selection_set: SelectionSetNode) -> int:
    """The deepest chain of non-introspection fields; each fragment is measured once."""
    memo: dict[str, int] = {}

    def fragment_depth(name: str, inside: frozenset[str]) -> int:
        if name in inside:  # a cycle: GraphQL's own validation reports it
            return 0
        if name not in memo:
            fragment = context.get_fragment(name)
            memo[name] = 0 if fragment is None else depth(fragment.selection_set, inside | {name})
        return memo[name]

    def depth(selections: SelectionSetNode | None, inside: frozenset[str]) -> int:
        deepest = 0
        if selections is None:
            return 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if not selection.name.value.startswith("__"):  # introspection is not data
                    deepest = max(deepest, 1 + depth(selection.selection_set, inside))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set, inside))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, fragment_depth(selection.name.value, inside))
        return deepest

    return depth(selection_set, frozenset())
