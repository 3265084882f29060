"""A small, safe expression language for conditions over fields, compiled to polars.

`10 < meta.score <= 30 and lang in ['en', 'de'] and not __stats__.x.flagged` is parsed with
Python's `ast` (parsing runs no code) and translated node by node into one vectorized polars
expression; anything outside the grammar (calls, subscripts, lambdas, comprehensions,
attribute access on values) is refused when the recipe is loaded. Grammar: `and`, `or`,
`not`; comparisons `< <= > >= == !=`, chained; `in` / `not in` a list, tuple or set of
constants; `+ - * / // %` and unary minus; numbers, strings, booleans, None; field names,
with dots reaching into nested fields. A comparison with a missing (null) value is false,
`not in` with one is true, as in Data-Juicer's general_field_filter.
"""
from __future__ import annotations

import ast
from typing import Callable

_COMPARE = {
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}
_ARITHMETIC = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}


class ExpressionError(ValueError):
    pass


def parse(source: str) -> ast.Expression:
    """The checked syntax tree of a condition; ExpressionError says what is not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"condition {source!r} is not valid syntax at column "
                              f"{exc.offset}: {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
                   ast.UAdd, ast.Compare, ast.In, ast.NotIn, ast.BinOp, ast.Constant, ast.Name,
                   ast.Attribute, ast.Load, ast.List, ast.Tuple, ast.Set,
                   *_COMPARE, *_ARITHMETIC)
        if not isinstance(node, allowed):
            raise ExpressionError(
                f"condition {source!r}: {type(node).__name__} is not allowed (conditions may "
                f"use fields, constants, comparisons, in, and/or/not and arithmetic)")
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and not all(
                isinstance(e, ast.Constant) for e in node.elts):
            raise ExpressionError(f"condition {source!r}: lists may hold constants only")
    return tree


def field_path(node: ast.AST) -> list[str]:
    """`a.b.c` as ['a', 'b', 'c']."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return field_path(node.value) + [node.attr]
    raise ExpressionError(f"{ast.unparse(node)} is not a field name")


def compile_polars(tree: ast.Expression, column: Callable[[list[str]], object]):
    """A polars boolean expression for `tree`; `column(path)` gives the expression of a field."""
    import polars as pl

    def visit(node):
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant):
            return pl.lit(node.value)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return column(field_path(node))
        if isinstance(node, ast.BoolOp):
            parts = [truth(visit(v)) for v in node.values]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if isinstance(node.op, ast.And) else combined | part
            return combined
        if isinstance(node, ast.UnaryOp):
            operand = visit(node.operand)
            if isinstance(node.op, ast.Not):
                return ~truth(operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return _ARITHMETIC[type(node.op)](visit(node.left), visit(node.right))
        if isinstance(node, ast.Compare):
            result, left = None, node.left
            for op, right in zip(node.ops, node.comparators):
                step = compare(op, left, right)
                result = step if result is None else result & step
                left = right
            return result
        raise ExpressionError(f"{type(node).__name__} is not allowed")

    def compare(op, left, right):
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                raise ExpressionError("`in` needs a list of constants on its right")
            found = visit(left).is_in([e.value for e in right.elts])
            if isinstance(op, ast.In):
                return found.fill_null(False)
            return (~found).fill_null(True)
        return _COMPARE[type(op)](visit(left), visit(right)).fill_null(False)

    def truth(expression):
        return expression.cast(pl.Boolean, strict=False).fill_null(False)

    return truth(visit(tree))
