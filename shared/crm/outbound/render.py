"""Email templates rendered safely: Jinja2's sandbox over a small language (variables, filters from an
allow-list, if/else), HTML escaped, a missing variable empty. Staff write templates, strangers fill the
variables; neither can make a render run long, grow without bound, reach Python objects or raise.

A template is refused when it is saved, never when it is sent: `check_variants` parses each variant, walks
its syntax tree against the allow-list, and renders it once with no variables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

PARTS = ("subject", "text", "html")
MAX_SOURCE = {"subject": 1000, "text": 100_000, "html": 200_000}
# What one rendered part may grow to (a variable holds at most what its record field does).
MAX_RENDERED = 512 * 1024
MAX_LANGUAGE = 35
SAFE_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default", "d", "escape", "e", "truncate",
                          "striptags", "length", "first", "last", "string", "wordcount"})
SAFE_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "true", "false"})
# Syntax without loops, calls, arithmetic, assignments or includes: a render is linear in the template's size.
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.Getattr,
                  nodes.Getitem, nodes.Filter, nodes.Test, nodes.If, nodes.Compare, nodes.Operand, nodes.And,
                  nodes.Or, nodes.Not, nodes.Concat, nodes.CondExpr, nodes.Keyword)
UNSUBSCRIBE_WORDS = {"en": "Unsubscribe", "fa": "لغو اشتراک", "ar": "إلغاء الاشتراك", "ru": "Отписаться"}


class TemplateRefused(ValueError):
    """A variant that does not parse or uses what the sandbox does not allow; `fields` names each."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class _Blank(ChainableUndefined):
    """A missing variable: empty, its attributes empty, compared as nothing (the language has no arithmetic)."""

    __slots__ = ()

    def _false(self, other: Any) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false  # type: ignore[assignment]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    language: str


@cache
def _environment(html: bool) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(autoescape=html, undefined=_Blank, keep_trailing_newline=True)
    environment.globals.clear()
    environment.filters = {name: f for name, f in environment.filters.items() if name in SAFE_FILTERS}
    environment.tests = {name: t for name, t in environment.tests.items() if name in SAFE_TESTS}
    return environment


def _refusal(tree: nodes.Node) -> str | None:
    """Why the syntax tree is outside the allowed language, or None."""
    for node in (tree, *tree.find_all(nodes.Node)):
        if not isinstance(node, _ALLOWED_NODES):
            return f"{type(node).__name__.lower()} is not allowed in a template"
        if isinstance(node, nodes.Filter) and node.name not in SAFE_FILTERS:
            return f"the filter {node.name} is not allowed"
        if isinstance(node, nodes.Test) and node.name not in SAFE_TESTS:
            return f"the test {node.name} is not allowed"
        if isinstance(node, (nodes.Name, nodes.Getattr)) and _private(node):
            return "names starting with _ are not allowed"
    return None


def _private(node: nodes.Name | nodes.Getattr) -> bool:
    return (node.name if isinstance(node, nodes.Name) else node.attr).startswith("_")


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Any:
    """The template, or TemplateRefused's message as a str."""
    environment = _environment(html)
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:
        return f"does not parse (line {exc.lineno}): {exc.message}"
    reason = _refusal(tree)
    return reason if reason else environment.from_string(tree)


def render_part(source: str, values: Mapping[str, Any], html: bool = False) -> str:
    """One part rendered; TemplateRefused({"template": why}) for a source outside the language (or too
    large), a failed render or an output over MAX_RENDERED."""
    template = _compiled(source, html)
    if isinstance(template, str):
        raise TemplateRefused({"template": template})
    try:
        out = "".join(_bounded(template.generate(_plain(values))))
    except TemplateRefused:
        raise
    except Exception as exc:  # whatever the sandbox or a filter raises fails the render, not the caller
        raise TemplateRefused({"template": f"cannot be rendered: {type(exc).__name__}"}) from exc
    return out


def _bounded(chunks: Iterable[str]) -> Iterable[str]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED:
            raise TemplateRefused({"template": f"renders to more than {MAX_RENDERED} characters"})
        yield chunk


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain data only (dicts, lists, str, numbers, bools): nothing whose methods a template could reach."""
    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return str(value)
    return {str(k): plain(v) for k, v in values.items()}


def check_variants(variants: Mapping[str, Mapping[str, str | None]], default_language: str) -> None:
    """Raises TemplateRefused naming each bad part as `variants.<lang>.<part>`."""
    problems: dict[str, str] = {}
    if default_language not in variants:
        problems["default_language"] = "There is no variant in this language."
    for language, variant in variants.items():
        if not language or len(language) > MAX_LANGUAGE:
            problems[f"variants.{language}"] = "A language is a tag such as en, fa or pt-BR."
            continue
        for part in PARTS:
            source = variant.get(part)
            where = f"variants.{language}.{part}"
            if source is None:
                if part != "html":
                    problems[where] = "Required."
                continue
            if len(source) > MAX_SOURCE[part]:
                problems[where] = f"At most {MAX_SOURCE[part]} characters."
                continue
            try:
                render_part(source, {}, html=part == "html")
            except TemplateRefused as exc:
                problems[where] = f"The template {exc.fields['template']}."
    if problems:
        raise TemplateRefused(problems)


def pick_language(available: Iterable[str], wanted: Iterable[str | None], default: str) -> str:
    """The first wanted language there is a variant for, exactly or by its primary subtag (fa-IR takes fa,
    pt takes pt-BR), else the default."""
    languages = list(available)
    by_primary: dict[str, str] = {}
    for language in languages:
        by_primary.setdefault(language.lower().split("-")[0], language)
    exact = {language.lower(): language for language in languages}
    for want in wanted:
        if not want:
            continue
        want = want.strip().lower().replace("_", "-")
        if want in exact:
            return exact[want]
        if want.split("-")[0] in by_primary:
            return by_primary[want.split("-")[0]]
    return default


def render_variant(variant: Mapping[str, str | None], language: str, values: Mapping[str, Any],
                   unsubscribe_url: str | None = None) -> Rendered:
    """Subject (on one line), text and HTML; with `unsubscribe_url` a variant that does not show it itself
    gets a visible unsubscribe link at its end."""
    subject = " ".join(render_part(variant.get("subject") or "", values).split())
    text = render_part(variant.get("text") or "", values)
    html_source = variant.get("html")
    html = render_part(html_source, values, html=True) if html_source else None
    if unsubscribe_url:
        word = UNSUBSCRIBE_WORDS.get(language.split("-")[0], UNSUBSCRIBE_WORDS["en"])
        if unsubscribe_url not in text:
            text = f"{text.rstrip()}\n\n--\n{word}: {unsubscribe_url}\n"
        if html is not None and unsubscribe_url not in html:
            link = render_part('<p><a href="{{ url }}">{{ word }}</a></p>', {"url": unsubscribe_url, "word": word},
                               html=True)
            html = f"{html}\n{link}"
    return Rendered(subject=subject, text=text, html=html, language=language)
