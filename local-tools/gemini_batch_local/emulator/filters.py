"""The ``filter`` of ``batchPredictionJobs.list``: a small AIP-160 parser and evaluator (pure).

Grammar (case-sensitive keywords)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := unary (["AND"] unary)*          # juxtaposition means AND too
    unary      := ("NOT" | "-") unary | "(" or_expr ")" | comparison
    comparison := FIELD OP VALUE                  # OP: = != : < <= > >=

Fields: ``display_name``, ``model``, ``state``, ``create_time``, ``update_time``, ``start_time``,
``end_time`` (lowerCamelCase spellings accepted) and ``labels.KEY``. Values are bare words or
double-quoted strings; timestamps (which contain ``:``) must be quoted. ``:`` on a string matches
with ``*`` wildcards (``display_name:"nightly-*"``); ``labels.KEY:*`` means the label is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .wire import JOB_STATE_NUMBERS, parse_rfc3339


class FilterError(ValueError):
    """The filter cannot be parsed, or names a field or operator that is not supported."""


@dataclass(frozen=True)
class Comparison:
    """``field op value``."""

    field: str
    op: str
    value: str


@dataclass(frozen=True)
class And:
    """All operands hold."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """At least one operand holds."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """The operand does not hold."""

    operand: Expr


Expr = Comparison | And | Or | Not

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op><=|>=|!=|=|<|>|:)
      | (?P<paren>[()])
      | (?P<word>[^\s()"<>=!:]+)
    )""",
    re.VERBOSE,
)

_STRING_FIELDS = {"display_name": "display_name", "displayName": "display_name", "model": "model"}
_TIME_FIELDS = {
    "create_time": "create_time",
    "createTime": "create_time",
    "update_time": "update_time",
    "updateTime": "update_time",
    "start_time": "start_time",
    "startTime": "start_time",
    "end_time": "end_time",
    "endTime": "end_time",
}
_EQUALITY_OPS = frozenset({"=", "!="})
_STRING_OPS = frozenset({"=", "!=", ":"})
_ORDER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class _Token:
    kind: str  # string | op | paren | word
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"unexpected character at offset {position} in filter {text!r}")
        kind = match.lastgroup
        assert kind is not None
        raw = match.group(kind)
        if kind == "string":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        tokens.append(_Token(kind, raw))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text == word

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.is_keyword("OR"):
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.unary()]
        while True:
            token = self.peek()
            if token is None or (token.kind == "paren" and token.text == ")") or self.is_keyword("OR"):
                break
            if self.is_keyword("AND"):
                self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self) -> Expr:
        token = self.take()
        if token.kind == "word" and token.text in ("NOT", "-"):
            return Not(self.unary())
        if token.kind == "word" and token.text.startswith("-"):  # "-labels.a:*" negates the term
            self.index -= 1
            self.tokens[self.index] = _Token("word", token.text[1:])
            return Not(self.unary())
        if token.kind == "paren" and token.text == "(":
            inner = self.or_expr()
            closing = self.take()
            if closing.kind != "paren" or closing.text != ")":
                raise FilterError("missing ')' in filter")
            return inner
        if token.kind != "word":
            raise FilterError(f"expected a field name, found {token.text!r}")
        operator = self.take()
        if operator.kind != "op":
            raise FilterError(f"expected an operator after {token.text!r}, found {operator.text!r}")
        value = self.take()
        if value.kind not in ("word", "string"):
            raise FilterError(f"expected a value after {token.text}{operator.text}")
        return _checked(Comparison(token.text, operator.text, value.text))


def _checked(comparison: Comparison) -> Comparison:
    """Normalise the field name and reject unsupported fields, operators and values."""
    field, op, value = comparison.field, comparison.op, comparison.value
    if field in _STRING_FIELDS:
        return _require_op(Comparison(_STRING_FIELDS[field], op, value), _STRING_OPS)
    if field == "state":
        state = value if value.startswith("JOB_STATE_") else f"JOB_STATE_{value}"
        if state not in JOB_STATE_NUMBERS:
            raise FilterError(f"unknown job state {value!r}")
        return _require_op(Comparison("state", op, state), _EQUALITY_OPS)
    if field in _TIME_FIELDS:
        try:
            parse_rfc3339(value)
        except ValueError as err:
            raise FilterError(f"{field}: not an RFC 3339 timestamp: {value!r}") from err
        return _require_op(Comparison(_TIME_FIELDS[field], op, value), _ORDER_OPS)
    if field.startswith("labels.") and len(field) > len("labels."):
        return _require_op(comparison, _STRING_OPS)
    raise FilterError(f"unsupported filter field {field!r}")


def _require_op(comparison: Comparison, allowed: frozenset[str]) -> Comparison:
    if comparison.op not in allowed:
        raise FilterError(f"operator {comparison.op!r} is not supported for {comparison.field}")
    return comparison


def parse_filter(text: str) -> Expr | None:
    """Parse a list filter; ``None`` for an empty filter. Raises :class:`FilterError`."""
    tokens = _tokenize(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    expr = parser.or_expr()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek().text!r} in filter")  # type: ignore[union-attr]
    return expr


def _glob(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def _compare_strings(op: str, actual: str | None, wanted: str) -> bool:
    if op == ":":
        return actual is not None and (wanted == "*" or _glob(wanted, actual))
    equal = actual == wanted
    return equal if op == "=" else not equal


_ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def evaluate(expr: Expr | None, job: Mapping[str, Any]) -> bool:
    """Does ``job`` match? ``job`` maps ``display_name``, ``model``, ``state``, ``labels`` (dict) and
    the ``*_time`` fields (POSIX seconds or ``None``)."""
    if expr is None:
        return True
    if isinstance(expr, And):
        return all(evaluate(operand, job) for operand in expr.operands)
    if isinstance(expr, Or):
        return any(evaluate(operand, job) for operand in expr.operands)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, job)
    if expr.field.startswith("labels."):
        labels: Mapping[str, str] = job.get("labels") or {}
        return _compare_strings(expr.op, labels.get(expr.field[len("labels."):]), expr.value)
    if expr.field in _TIME_FIELDS.values():
        actual = job.get(expr.field)
        if actual is None:
            return expr.op == "!="
        return _ORDERINGS[expr.op](float(actual), parse_rfc3339(expr.value))
    return _compare_strings(expr.op, job.get(expr.field), expr.value)
