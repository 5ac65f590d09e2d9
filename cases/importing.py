"""Reading a regulation's official plain-text layout into numbered articles.

The layout, as published::

    ###  中国共产党纪律处分条例 2023          (Markdown-ish title lines are ignored)
    （2003年12月23日……发布）                 (preamble: any text before the first article)
    第一编 总则                               (part, 编)
    第一章 总体要求和适用范围                 (chapter, 章)
    第一节 ……                                 (section, 节; optional)
    第一条 为了维护党章……                     (article, 条: 第一条 … 第一百五十八条, or 第1条)
    （一）……                                  (further paragraphs of the same article)

Lines may be indented with full-width spaces (U+3000). The bytes are UTF-8 (with or
without BOM) or GBK/GB18030, detected. :func:`regulation_parse` never raises: it returns
the articles *and* every problem found, each with the line number the user sees in an
editor. Problems are stored as codes with parameters and translated when shown, so a
preview reads in the language of whoever looks at it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

# Largest file we read (the 2023 Regulations are about 200 KB).
MAX_BYTES: Final = 2 * 1024 * 1024
# Longest heading title (编/章/节) we accept; the model's fields hold 120 characters.
HEADING_MAX: Final = 120
# Highest article number we accept.
NUMBER_MAX: Final = 9999

_DIGITS: Final = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZEROS: Final = frozenset("零〇")
_UNITS: Final = {"十": 10, "百": 100, "千": 1000}
_NUMERAL: Final = "[零〇一二两三四五六七八九十百千0-9０-９]+"
_HEADING_RE: Final = re.compile(rf"^第(?P<num>{_NUMERAL})(?P<kind>[编章节条])(?P<rest>.*)$")
# A line that ends a sentence or lists an item is text, never an unnumbered heading.
_SENTENCE_PUNCT: Final = frozenset("，。；：！？,;:!?")
_ENUMERATOR_RE: Final = re.compile(r"^[（(]?[一二三四五六七八九十0-9０-９]+[）)、.．]")
# After 第N条 with no space, these characters mean a cross-reference, not a new article.
_REFERENCE_FOLLOWERS: Final = frozenset("、，,和及或至到规所中之的第（(")


def chinese_number(*, text: str) -> int | None:
    """The value of 一百五十八, 二十, 十二, 一百零二, 两千零一, or of Arabic digits
    (ASCII or full-width); ``None`` for anything malformed or zero."""
    if not text:
        return None
    if all(ch.isdigit() for ch in text):
        try:
            value = int(text)
        except ValueError:
            return None
        return value or None
    total = 0
    pending: int | None = None
    last_unit = 10_000
    after_zero = False
    for ch in text:
        if ch in _ZEROS:
            if pending is not None or total == 0:
                return None
            after_zero = True
        elif ch in _DIGITS:
            if pending is not None:
                return None
            pending = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None
            if pending is None:
                if unit != 10:  # 百/千 need a digit; 十 alone means 一十
                    return None
                pending = 1
            total += pending * unit
            last_unit, pending, after_zero = unit, None, False
        else:
            return None
    if after_zero and pending is None:
        return None  # 一百零
    if pending is not None:
        # A trailing digit counts as ones only after 十, after 零, or alone: 一百五 is
        # colloquial for 150 and too ambiguous for a legal text.
        if not (last_unit == 10 or after_zero or total == 0):
            return None
        total += pending
    return total or None


def chinese_numeral(*, number: int) -> str:
    """一百零二 for 102, 十二 for 12, as article labels print them (1 ≤ number ≤ 9999)."""
    digits = "零一二三四五六七八九"
    if not 0 < number < 10_000:
        return str(number)
    out = ""
    zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += ("" if unit == 10 and digit == 1 and not out else digits[digit]) + name
    return out


# --- Problems ------------------------------------------------------------------------

MESSAGES: Final[dict[str, str | Promise]] = {
    "file_empty": gettext_lazy("The file is empty."),
    "file_too_large": gettext_lazy("The file is too large: the limit is %(limit)s MB."),
    "file_binary": gettext_lazy(
        "This is not a plain-text file. Save the regulation as text (.txt) in UTF-8 or GBK."
    ),
    "encoding": gettext_lazy(
        "This line holds bytes that are neither UTF-8 nor GBK. Save the file as UTF-8 or GBK."
    ),
    "no_articles": gettext_lazy(
        "No articles were found. Each article must start a line with its number, e.g. “第一条 …”."
    ),
    "duplicate": gettext_lazy("%(label)s appears twice: it was already on line %(other)s."),
    "sequence": gettext_lazy(
        "%(label)s is out of sequence: the article before it was %(previous)s, so "
        "%(expected)s was expected."
    ),
    "first_number": gettext_lazy(
        "The first article is %(label)s; a regulation starts with 第一条."
    ),
    "bad_number": gettext_lazy("“%(text)s” is not a number this importer can read."),
    "number_too_large": gettext_lazy("Article numbers above %(max)s are not accepted."),
    "heading_too_long": gettext_lazy("The heading is too long: at most %(max)s characters."),
    "empty_article": gettext_lazy("%(label)s has no text."),
    "orphan_text": gettext_lazy(
        "This text follows a heading but comes before any article, so it belongs to no article."
    ),
    "internal": gettext_lazy("The file could not be read."),
}


@dataclass(frozen=True)
class Problem:
    """One thing the importer could not accept; ``line`` is 1-based, ``None`` for the file."""

    code: str
    line: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        text = str(MESSAGES.get(self.code, MESSAGES["internal"]))
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return gettext("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "line": self.line, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        line = data.get("line")
        return cls(
            code=str(data.get("code", "internal")),
            line=int(line) if line is not None else None,
            params=dict(data.get("params") or {}),
        )


@dataclass(frozen=True)
class ParsedArticle:
    number: int
    label: str  # as printed: 第二十七条
    part: str  # 第二编 分则
    chapter: str  # 第八章 对违反廉洁纪律行为的处分
    section: str
    text: str  # paragraphs joined by "\n", without the label
    line: int  # where the article starts


@dataclass
class ParsedRegulation:
    encoding: str  # "utf-8", "utf-8-sig", "gb18030" or "" when undecodable
    articles: list[ParsedArticle]
    problems: list[Problem]
    title: str = ""  # from a "### …" title line, if any
    text: str = ""  # the decoded text, for a preview kept until it is confirmed

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.articles)

    @property
    def chapters(self) -> list[tuple[str, int]]:
        """(chapter, article count) in order of appearance; "" for articles outside one."""
        counts: dict[str, int] = {}
        for article in self.articles:
            counts[article.chapter] = counts.get(article.chapter, 0) + 1
        return list(counts.items())


# --- Decoding ------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _bad_utf8_lines(data: bytes, limit: int = 20) -> list[int]:
    lines: list[int] = []
    offset = 0
    while offset < len(data) and len(lines) < limit:
        try:
            data[offset:].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = _line_of(data, offset + exc.start)
            if line not in lines:
                lines.append(line)
            offset += exc.end
        else:
            break
    return lines


def text_decode(*, data: bytes) -> tuple[str, str, list[Problem]]:
    """(text, encoding, problems). UTF-8 with or without BOM; else GB18030 (a superset of
    GBK). A file that is mostly valid UTF-8 with a few broken bytes is reported line by
    line rather than misread as GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            return "", "", [Problem("encoding", line) for line in _bad_utf8_lines(data)]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    broken = lenient.count("\ufffd")
    wide = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
    if wide > 4 * broken:  # mostly UTF-8: a damaged UTF-8 file, not GBK
        return "", "", [Problem("encoding", line) for line in _bad_utf8_lines(data)]
    try:
        return data.decode("gb18030"), "gb18030", []
    except UnicodeDecodeError as exc:
        return "", "", [Problem("encoding", _line_of(data, exc.start))]


# --- Parsing -------------------------------------------------------------------------


def _clean(line: str) -> str:
    return line.replace("\ufeff", "").strip()


def _is_unnumbered_heading(text: str) -> bool:
    """A short title line between articles, e.g. 党员领导干部廉洁自律规范 in the Code of
    Integrity: no sentence punctuation, no list enumerator."""
    return (
        len(text) <= 30
        and not any(ch in _SENTENCE_PUNCT for ch in text)
        and not _ENUMERATOR_RE.match(text)
    )


@dataclass
class _Draft:
    number: int
    label: str
    part: str
    chapter: str
    section: str
    line: int
    paragraphs: list[str]


def regulation_parse(*, data: bytes, max_bytes: int = MAX_BYTES) -> ParsedRegulation:
    """Parse uploaded bytes. Never raises; see :class:`ParsedRegulation`."""
    if len(data) > max_bytes:
        return ParsedRegulation(
            "", [], [Problem("file_too_large", params={"limit": max_bytes // (1024 * 1024)})]
        )
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return ParsedRegulation("", [], [Problem("file_empty")])
    if b"\x00" in data[:8192]:
        return ParsedRegulation("", [], [Problem("file_binary")])
    text, encoding, problems = text_decode(data=data)
    if problems:
        return ParsedRegulation(encoding, [], problems)
    if not text.replace("\ufeff", "").strip():
        return ParsedRegulation(encoding, [], [Problem("file_empty")])
    return regulation_parse_text(text=text, encoding=encoding)


def regulation_parse_text(*, text: str, encoding: str = "") -> ParsedRegulation:
    """Parse decoded text into articles and problems (line numbers count from 1)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = [_clean(line) for line in lines]
    problems: list[Problem] = []
    drafts: list[_Draft] = []
    title = ""
    part = chapter = section = ""
    seen: dict[int, int] = {}  # number → line
    # Text after a heading and before the next article belongs to no article.
    after_heading = False

    # article_next[i]: the next non-blank line after line i starts with 第…条 (one pass
    # from the end, so a long file of plain lines stays linear).
    article_next = [False] * len(cleaned)
    following = False
    for index in range(len(cleaned) - 1, -1, -1):
        article_next[index] = following
        if cleaned[index]:
            found = _HEADING_RE.match(cleaned[index])
            following = bool(found and found["kind"] == "条")

    for index, line in enumerate(cleaned):
        lineno = index + 1
        if not line:
            continue
        if line.startswith("#"):
            if not title:
                title = line.lstrip("#").strip()
            continue
        match = _HEADING_RE.match(line)
        if match:
            kind, numeral, rest = match["kind"], match["num"], match["rest"]
            spaced = not rest or rest[0].isspace()
            heading_title = rest.strip()
            current = drafts[-1] if drafts else None
            expected = current.number + 1 if current else 1
            value = chinese_number(text=numeral)
            if kind == "条":
                is_article = spaced or (value == expected and rest[0] not in _REFERENCE_FOLLOWERS)
                if not is_article:
                    match = None
            elif not spaced or (heading_title and heading_title[-1] in "。；;"):
                match = None  # a sentence that happens to start with 第…章
        if match:
            label = f"第{numeral}{kind}"
            if value is None:
                problems.append(Problem("bad_number", lineno, {"text": label}))
                continue
            if kind == "条":
                after_heading = False
                if value > NUMBER_MAX:
                    problems.append(Problem("number_too_large", lineno, {"max": NUMBER_MAX}))
                    continue
                if value in seen:
                    problems.append(
                        Problem("duplicate", lineno, {"label": label, "other": seen[value]})
                    )
                elif drafts and value != drafts[-1].number + 1:
                    problems.append(
                        Problem(
                            "sequence",
                            lineno,
                            {
                                "label": label,
                                "previous": drafts[-1].label,
                                "expected": f"第{chinese_numeral(number=drafts[-1].number + 1)}条",
                            },
                        )
                    )
                elif not drafts and value != 1:
                    problems.append(Problem("first_number", lineno, {"label": label}))
                seen.setdefault(value, lineno)
                paragraphs = [heading_title] if heading_title else []
                drafts.append(_Draft(value, label, part, chapter, section, lineno, paragraphs))
                continue
            heading = f"{label} {heading_title}".strip()
            if len(heading) > HEADING_MAX:
                problems.append(Problem("heading_too_long", lineno, {"max": HEADING_MAX}))
                continue
            if kind == "编":
                part, chapter, section = heading, "", ""
            elif kind == "章":
                chapter, section = heading, ""
            else:
                section = heading
            after_heading = True
            continue
        # Plain text.
        if not drafts:
            continue  # preamble before the first article
        if article_next[index] and drafts[-1].paragraphs and _is_unnumbered_heading(line):
            if chapter:
                section = line
            else:
                chapter, section = line, ""
            after_heading = True
            continue
        if after_heading:
            problems.append(Problem("orphan_text", lineno))
            continue
        drafts[-1].paragraphs.append(line)

    articles: list[ParsedArticle] = []
    for draft in drafts:
        if not draft.paragraphs:
            problems.append(Problem("empty_article", draft.line, {"label": draft.label}))
        articles.append(
            ParsedArticle(
                number=draft.number,
                label=draft.label,
                part=draft.part,
                chapter=draft.chapter,
                section=draft.section,
                text="\n".join(draft.paragraphs),
                line=draft.line,
            )
        )
    if not articles:
        problems.append(Problem("no_articles"))
    problems.sort(key=lambda p: (p.line is not None, p.line or 0))
    return ParsedRegulation(encoding, articles, problems, title, text)
