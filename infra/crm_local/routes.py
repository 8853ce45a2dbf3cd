"""HttpApi route matching the way API Gateway chooses a route: the most specific path wins (a literal
segment over a {param}, a {param} over a greedy {proxy+}), a named method over ANY, `$default` last."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from crm_local.template import HttpRoute

_LITERAL, _PARAMETER, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    segments: tuple[tuple[int, str], ...]


class RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes = [_CompiledRoute(route, _compile(route.path)) for route in routes]

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        request_segments = raw_path.strip("/").split("/") if raw_path.strip("/") else []
        candidates = []
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY") or compiled.route.path == "$default":
                continue
            parameters = _bind(compiled.segments, request_segments)
            if parameters is not None:
                specificity = (tuple(kind for kind, _ in compiled.segments), compiled.route.method == "ANY")
                candidates.append((specificity, RouteMatch(compiled.route, parameters)))
        if candidates:
            return min(candidates, key=lambda candidate: candidate[0])[1]
        fallback = next((c.route for c in self._routes if c.route.path == "$default"), None)
        return RouteMatch(fallback, {}) if fallback else None


def _compile(path: str) -> tuple[tuple[int, str], ...]:
    if path == "$default":
        return ()
    segments = []
    for segment in path.strip("/").split("/") if path.strip("/") else []:
        if segment.startswith("{") and segment.endswith("+}"):
            segments.append((_GREEDY, segment[1:-2]))
        elif segment.startswith("{") and segment.endswith("}"):
            segments.append((_PARAMETER, segment[1:-1]))
        else:
            segments.append((_LITERAL, segment))
    return tuple(segments)


def _bind(route: tuple[tuple[int, str], ...], request: list[str]) -> dict[str, str] | None:
    """The path parameters if the request path fits the route, else None."""
    parameters: dict[str, str] = {}
    for index, (kind, text) in enumerate(route):
        if kind == _GREEDY:
            rest = request[index:]
            if not rest or not all(rest):
                return None
            parameters[text] = unquote("/".join(rest))
            return parameters
        if index >= len(request) or not request[index]:
            return None
        if kind == _LITERAL and request[index] != text:
            return None
        if kind == _PARAMETER:
            parameters[text] = unquote(request[index])
    return parameters if len(route) == len(request) else None
