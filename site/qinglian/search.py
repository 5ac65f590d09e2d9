"""Chinese full-text search on Wagtail's database backend (SQLite FTS5 and PostgreSQL).

The database backends split text on spaces, so Han text is segmented into words before it
reaches them, with one function for both sides:

``segment(text)``
    normalise (NFKC: full-width → half-width; lower case; OpenCC traditional →
    simplified), cut with rjieba in search mode (``受贿罪`` → ``受贿 受贿罪``), keep word
    tokens (Han words, latin/digit words), drop punctuation, join with spaces.

``SegmentedSearchField``
    a ``SearchField`` whose indexed value is ``segment(value)``. It keeps the field name,
    so a segmented ``title`` keeps the title's ranking weight. A model opts in to Chinese
    search by using it (``segmented(fields)`` converts a list, ``SEGMENTED_PAGE_SEARCH_FIELDS``
    is Wagtail's ``Page.search_fields`` with a segmented title); the site search
    (``qinglian.search_views``) lists every live page type that does.

``query_terms(raw)``
    turns any user input into at most ``MAX_QUERY_TERMS`` word tokens: stock Wagtail raises
    on ``"``, on all-space input and (``RecursionError``) on a few hundred terms.

``highlight(text, terms)``
    the backends cannot highlight Chinese, so matched terms are marked in Python on the
    original text (an HTML-escaped excerpt with ``<mark>``).

The backend itself (title weighting on SQLite, the ``simple`` configuration on PostgreSQL)
lives in ``qinglian.search_backend``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import opencc
import rjieba
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page
from wagtail.search import index

MAX_QUERY_TERMS = 32
# Input beyond this is ignored before segmenting: a query is a few words, not a document.
MAX_QUERY_CHARS = 200
# Function words that make an AND query miss without adding meaning (dropped from queries
# that have other terms; the index keeps them).
QUERY_STOPWORDS = frozenset("的了和与及或在是等之被把对将以其中") | {
    "a",
    "an",
    "and",
    "or",
    "the",
    "of",
    "in",
}

# A word token: letters and digits of any script (Han included), no underscore.
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@functools.cache
def _t2s() -> Any:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), lower case, traditional → simplified."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _t2s().convert(text)


def tokens(text: str) -> list[str]:
    """The word tokens of ``text`` as rjieba's search mode cuts them, normalised."""
    out: list[str] = []
    for piece in rjieba.cut_for_search(normalise(text)):
        out.extend(_WORD.findall(piece))
    return out


def segment(text: Any) -> str:
    """The text the index stores and the query the backend receives: words joined by
    spaces. Used on both sides, so both are cut the same way."""
    if text is None:
        return ""
    if isinstance(text, (list, tuple)):
        text = " ".join(str(t) for t in text if t)
    elif isinstance(text, dict):
        text = " ".join(str(t) for t in text.values() if t)
    return " ".join(tokens(str(text)))


def query_terms(raw: Any) -> list[str]:
    """Word tokens of a user's query: at most ``MAX_QUERY_TERMS``, no duplicates, nothing
    a backend could choke on (quotes, operators, control characters, emoji)."""
    if not isinstance(raw, str):
        return []
    raw = _CONTROL.sub(" ", raw[:MAX_QUERY_CHARS])
    seen: dict[str, None] = {}
    for term in tokens(raw):
        seen.setdefault(term, None)
    terms = list(seen)
    meaningful = [t for t in terms if t not in QUERY_STOPWORDS]
    return (meaningful or terms)[:MAX_QUERY_TERMS]


class SegmentedSearchField(index.SearchField):
    """A ``SearchField`` whose value is indexed segmented into words. Keeps the field
    name (and boost), so ``SegmentedSearchField("title", boost=2)`` still counts as the
    title when the backend ranks."""

    def raw_value(self, obj: Any) -> Any:
        """The value as stored on the object (for excerpts and highlighting)."""
        return super().get_value(obj)

    def get_value(self, obj: Any) -> str:
        return segment(self.raw_value(obj))

    # Wagtail's check wagtailsearch.W001 looks for ``Page.search_fields`` entries with
    # ``in``; a segmented title stands in for the plain one, so it compares equal to it.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, index.SearchField):
            return (self.field_name, self.boost) == (other.field_name, other.boost)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((index.SearchField, self.field_name, self.boost))


def segmented(fields: Iterable[Any]) -> list[Any]:
    """``fields`` with every plain ``SearchField`` turned into a ``SegmentedSearchField``
    (same name and boost); filter, autocomplete and related fields are kept as they are."""
    out: list[Any] = []
    for field in fields:
        if isinstance(field, index.SearchField) and not isinstance(field, SegmentedSearchField):
            field = SegmentedSearchField(field.field_name, boost=field.boost, **field.kwargs)
        out.append(field)
    return out


# Wagtail's page search fields with the title segmented (boost kept).
SEGMENTED_PAGE_SEARCH_FIELDS: list[Any] = segmented(Page.search_fields)


def uses_segmented_search(model: type) -> bool:
    """True if ``model`` indexes at least one field through ``SegmentedSearchField``."""
    get_fields = getattr(model, "get_searchable_search_fields", None)
    if get_fields is None:
        return False
    return any(isinstance(f, SegmentedSearchField) for f in get_fields())


def raw_search_text(obj: Any, *, include_title: bool = False) -> str:
    """The original (unsegmented) text of ``obj``'s segmented fields, for excerpts."""
    parts: list[str] = []
    for field in type(obj).get_searchable_search_fields():
        if not isinstance(field, SegmentedSearchField):
            continue
        if field.field_name == "title" and not include_title:
            continue
        value = field.raw_value(obj)
        if isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value if v)
        elif value:
            parts.append(str(value))
    return "\n".join(p.strip() for p in parts if p and p.strip())


# Highlighting ----------------------------------------------------------------------------


def _aligned_normal_form(text: str) -> str:
    """``normalise(text)`` with the same length as ``text`` (position i of the result comes
    from position i of the input), so matches found in it can be marked on the original."""
    whole = normalise(text)
    if len(whole) == len(text):
        return whole
    # Rare: a character whose normal form is longer or shorter (e.g. ㍿, ß). Normalise one
    # character at a time and keep only same-length results.
    out = []
    for ch in text:
        n = normalise(ch)
        out.append(n if len(n) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words))


def _spans(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    if pattern is None or not text:
        return []
    return [m.span() for m in pattern.finditer(_aligned_normal_form(text))]


def _mark(text: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    out: list[str] = []
    pos = 0
    for start, end in spans:
        start, end = start - offset, end - offset
        if start < pos or end > len(text) or start < 0:
            continue
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """``text`` HTML-escaped, with every match of ``terms`` (normalised, so 受賄 in the text
    matches the term 受贿) wrapped in ``<mark>``."""
    text = text or ""
    return mark_safe(_mark(text, _spans(text, _term_pattern(terms))))


def excerpt(text: str, terms: Sequence[str], *, length: int = 120) -> SafeString:
    """About ``length`` characters of ``text`` around the first match of ``terms``,
    HTML-escaped, matches in ``<mark>``; the start of the text if nothing matches."""
    text = " ".join((text or "").split())
    if not text:
        return mark_safe("")
    pattern = _term_pattern(terms)
    spans = _spans(text, pattern)
    if spans:
        first = spans[0][0]
        start = max(0, first - length // 4)
    else:
        start = 0
    end = min(len(text), start + length)
    if end - start < length:
        start = max(0, end - length)
    window = [(s, e) for s, e in spans if s >= start and e <= end]
    body = _mark(text[start:end], window, offset=start)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{body}{suffix}")
