"""EventBridge-style content matching, for Lambda's event-source FilterCriteria: exact values, prefix,
suffix, anything-but and exists. Other operators are refused when the pattern is checked, at start-up,
rather than silently matching nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPERATORS = ("prefix", "suffix", "anything-but", "exists")


class UnsupportedPattern(ValueError):
    pass


def check_pattern(pattern: Mapping[str, Any]) -> None:
    for key, expected in pattern.items():
        if isinstance(expected, Mapping):
            check_pattern(expected)
        elif not isinstance(expected, list):
            raise UnsupportedPattern(f"{key}: a pattern's leaves are lists of values")
        else:
            for matcher in filter(_is_operator, expected):
                (operator, argument), *others = matcher.items() or [(None, None)]
                if others or operator not in _OPERATORS or isinstance(argument, Mapping):
                    raise UnsupportedPattern(f"{key}: {matcher} (supported: exact values, {', '.join(_OPERATORS)})")


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        present = key in event
        if isinstance(expected, Mapping):
            if not (present and matches(expected, event[key])):
                return False
        elif not any(_matches_value(matcher, present, event.get(key)) for matcher in expected):
            return False
    return True


def _is_operator(matcher: Any) -> bool:
    return isinstance(matcher, Mapping)


def _matches_value(matcher: Any, present: bool, value: Any) -> bool:
    if _is_operator(matcher):
        (operator, argument), = matcher.items()
        if operator == "exists":
            return present == bool(argument)
        if not present:
            return False
        if operator == "anything-but":
            excluded = argument if isinstance(argument, list) else [argument]
            return not any(v in excluded for v in _values(value))
        return any(isinstance(v, str) and (v.startswith(argument) if operator == "prefix" else v.endswith(argument))
                   for v in _values(value))
    return present and matcher in _values(value)


def _values(value: Any) -> list[Any]:
    """An event's array matches when any of its elements does."""
    return value if isinstance(value, list) else [value]
