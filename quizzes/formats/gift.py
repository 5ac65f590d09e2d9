"""A reader for Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format).

Questions are separated by blank lines; a line starting with ``//`` is a comment
(``// [id:…]`` and ``// [tag:…]`` before a question give its ID number and tags).
``$CATEGORY: a/b`` switches the category of the questions that follow. A question is
``::title::[format]text{answers}``; ``\\: \\# \\= \\~ \\{ \\} \\\\`` are escapes and ``\\n``
a line break.

What the answers make (as Moodle decides it):

* ``{}`` essay, ``{#…}`` numerical, ``{=a -> b …}`` matching: unsupported, listed;
* ``{T}`` / ``{F}`` / ``{TRUE}`` / ``{FALSE}`` (``#wrong-answer feedback#right-answer
  feedback``): true/false;
* a ``~`` anywhere: a choice question (``=`` right, ``~`` wrong, ``%50%`` weights,
  ``#`` feedback) → single or multiple choice (:func:`~.base.choices_map`);
* otherwise short answer (``{=a =b}`` or ``{a}``) → fill in the blank;
* no braces at all: a description, unsupported;
* text after the closing brace (the answer in the middle of the text, "missing word"):
  unsupported, listed as "answer inside the text".

``####`` starts the general feedback (the explanation). Any malformed question (an
unclosed brace, no right answer, a weight Moodle does not accept) is an error with its
line number.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Final

from .base import (
    Choice,
    ParseResult,
    category_names_check,
    category_path_split,
    choices_map,
    derived_name,
    fill_map,
    fraction_allowed,
    html_to_text,
    lengths_check,
    percent_parse,
    plain_text,
    problem,
    question_new,
    rich_text,
)

_ESCAPES: Final = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
    "n": "\ue007",
}
_RESTORE: Final = {v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()}
_ESCAPE_RE: Final = re.compile(r"\\([\\~=#{}:n])")
_RESTORE_RE: Final = re.compile("[\ue000-\ue007]")
_FORMAT_RE: Final = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE: Final = re.compile(r"^\s*%([^%]*)%")
_META_RE: Final = re.compile(r"\[(id|tag):([^\]]*)\]")
TF_TRUE: Final = ("T", "TRUE")
TF_FALSE: Final = ("F", "FALSE")


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], text)


def _restore(text: str) -> str:
    return _RESTORE_RE.sub(lambda m: _RESTORE[m.group(0)], text)


def _format_split(text: str, default: str) -> tuple[str, str]:
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1).lower(), text[match.end() :]
    return default, text


class _Block:
    """The protected text of one question, with a map from offsets to file lines."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self.starts: list[int] = []
        self.numbers: list[int] = []
        parts: list[str] = []
        offset = 0
        for number, text in lines:
            self.starts.append(offset)
            self.numbers.append(number)
            parts.append(text)
            offset += len(text) + 1
        self.text = "\n".join(parts)

    def line(self, offset: int) -> int:
        return self.numbers[max(0, bisect.bisect_right(self.starts, offset) - 1)]


def _depth_change(text: str) -> int:
    return text.count("{") - text.count("}")


def gift_parse(*, text: str) -> ParseResult:
    """Read GIFT text (already decoded) into a :class:`~.base.ParseResult`."""
    result = ParseResult()
    category: list[str] = []
    meta: dict[str, Any] = {"id": "", "tags": []}
    block: list[tuple[int, str]] = []
    depth = 0

    def flush() -> None:
        nonlocal category, meta, block, depth
        if block:
            category = _block_parse(_Block(block), category, meta, result)
            meta = {"id": "", "tags": []}
        block, depth = [], 0

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = _protect(raw)
        stripped = line.strip()
        if stripped.startswith("//"):
            if not block:
                for key, value in _META_RE.findall(_restore(stripped)):
                    if key == "id":
                        meta["id"] = value.strip()
                    elif value.strip():
                        meta["tags"].append(value.strip())
            continue
        if not stripped:
            if block and depth <= 0:
                flush()
            elif block:
                block.append((number, line))
            continue
        block.append((number, line))
        depth += _depth_change(line)
    flush()
    return result


def _block_parse(
    block: _Block, category: list[str], meta: dict[str, Any], result: ParseResult
) -> list[str]:
    """Parse one block; returns the category in force after it."""
    text = block.text
    start = len(text) - len(text.lstrip())
    first_line = block.line(start)
    body = text[start:]

    if body.startswith("$CATEGORY:"):
        raw = _restore(body[len("$CATEGORY:") :].split("\n", 1)[0])
        path = category_path_split(raw)
        category_names_check(path, first_line, result)
        result.items.append({"kind": "category", "line": first_line, "path": path, "info": ""})
        # A question right below the $CATEGORY line, without a blank line in between.
        rest = [(n, t) for n, t in block.lines if n > first_line]
        if any(t.strip() for _n, t in rest):
            return _block_parse(_Block(rest), path, meta, result)
        return path

    title = ""
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            result.error("gift_unclosed_title", first_line)
            return category
        title = _restore(body[2:end]).strip()
        start += end + 2
        body = text[start:]

    fmt = "moodle"
    tag = _FORMAT_RE.match(body)
    if tag:
        fmt = tag.group(1).lower()
        start += tag.end()
        body = text[start:]

    opens = [i for i, c in enumerate(body) if c == "{"]
    closes = [i for i, c in enumerate(body) if c == "}"]
    where = {"line": first_line, "title": title, "category": "/".join(category)}

    if not opens and not closes:
        stem, _dropped = rich_text(_restore(body), fmt)
        name = title or derived_name(stem, "")[0]
        result.unsupported.append({**where, "title": name, "kind": "description"})
        return category
    if closes and (not opens or closes[0] < opens[0]):
        result.error("gift_unmatched_brace", block.line(start + closes[0]))
        return category
    if not closes or (len(opens) > 1 and opens[1] < closes[0]):
        result.error("gift_unclosed_brace", block.line(start + opens[0]))
        return category
    if len(opens) > 1 or len(closes) > 1:
        result.error("gift_two_answer_blocks", block.line(start + opens[-1]))
        return category

    open_at, close_at = opens[0], closes[0]
    before, answer, after = body[:open_at], body[open_at + 1 : close_at], body[close_at + 1 :]
    answer_start = start + open_at + 1
    line = first_line

    # General feedback (the explanation) after ####.
    explanation_raw, explanation_fmt = "", fmt
    gf_at = answer.find("####")
    if gf_at >= 0:
        explanation_fmt, explanation_raw = _format_split(answer[gf_at + 4 :], fmt)
        answer = answer[:gf_at]
    main = answer.strip()
    main_start = answer_start + (len(answer) - len(answer.lstrip()))

    if not main:
        kind = "essay"
    elif main.startswith("#"):
        kind = "numerical"
    elif "~" in main:
        kind = "choice"
    elif "=" in main and "->" in main:
        kind = "matching"
    elif main.split("#", 1)[0].strip() in (*TF_TRUE, *TF_FALSE):
        kind = "truefalse"
    else:
        kind = "short"

    stem, dropped = rich_text(_restore(before), fmt)
    if kind in ("essay", "numerical", "matching"):
        name = title or derived_name(stem, "")[0]
        result.unsupported.append({**where, "title": name, "kind": kind})
        return category
    if after.strip() or not before.strip():
        if not before.strip() and not after.strip():
            result.error("no_text", line)
            return category
        embedded_stem, _ = rich_text(_restore(before + "_____" + after), fmt)
        name = title or derived_name(embedded_stem, "")[0]
        result.unsupported.append({**where, "title": name, "kind": "embedded"})
        return category
    if not html_to_text(stem):
        result.error("no_text", line)
        return category

    notes: list[dict[str, Any]] = []
    if "<img" in before.lower() or "@@PLUGINFILE@@" in before:
        notes.append(problem("note_images", line))
    elif dropped:
        notes.append(problem("note_format_removed", line))
    explanation, _ = rich_text(_restore(explanation_raw), explanation_fmt)
    common: dict[str, Any] = {
        "line": line,
        "category": category,
        "title": title,
        "stem": stem,
        "explanation": explanation,
        "idnumber": meta["id"],
        "tags": meta["tags"],
    }
    errors_before = len(result.errors)

    if kind == "truefalse":
        head, _, comment = main.partition("#")
        wrong, _, right = comment.partition("#")
        if _restore(wrong).strip() or _restore(right).strip():
            notes.append(problem("note_tf_feedback", line))
        question = question_new(
            **common,
            qtype="truefalse",
            true_false_answer=head.strip() in TF_TRUE,
            notes=notes,
        )
    else:
        choices = _choices(main, main_start, kind, fmt, block, result)
        if choices is None:
            return category
        if kind == "choice":
            qtype, options, more, error = choices_map(choices=choices, single=None, line=line)
        else:
            qtype = "fill"
            options, more, error = fill_map(choices=choices, line=line)
        if error is not None:
            result.errors.append(error)
            return category
        question = question_new(**common, qtype=qtype, options=options, notes=notes + more)
    lengths_check(question, result)
    if len(result.errors) == errors_before:
        result.items.append(question)
    return category


def _choices(
    main: str, main_start: int, kind: str, fmt: str, block: _Block, result: ParseResult
) -> list[Choice] | None:
    """The answers of a choice (``=``/``~``) or short-answer (``=``) question."""
    markers = "=~" if kind == "choice" else "="
    cuts = [i for i, c in enumerate(main) if c in markers]
    chunks: list[tuple[str, int, str]] = []  # (marker, offset in main, body)
    lead = main[: cuts[0]] if cuts else main
    if lead.strip():
        if kind == "choice":
            result.error(
                "gift_text_before_answer", block.line(main_start), text=_restore(lead.strip())[:40]
            )
            return None
        chunks.append(("=", 0, lead))  # {One}: a short answer without "="
    for n, at in enumerate(cuts):
        end = cuts[n + 1] if n + 1 < len(cuts) else len(main)
        chunks.append((main[at], at, main[at + 1 : end]))

    choices: list[Choice] = []
    ok = True
    for marker, offset, chunk in chunks:
        line = block.line(main_start + offset)
        percent = None
        weight = _WEIGHT_RE.match(chunk)
        if weight:
            percent = percent_parse(weight.group(1))
            if percent is None:
                result.error("weight_invalid", line, weight=_restore(weight.group(1))[:20])
                ok = False
                continue
            if not fraction_allowed(percent / 100):
                result.error("weight_not_allowed", line, weight=str(percent.normalize()))
                ok = False
                continue
            chunk = chunk[weight.end() :]
        if percent is None:
            percent = percent_parse("100" if marker == "=" else "0")
        assert percent is not None
        text_part, _, feedback_part = chunk.partition("#")
        text_fmt, text_raw = _format_split(text_part.strip(), fmt)
        feedback_fmt, feedback_raw = _format_split(feedback_part.strip(), fmt)
        text = plain_text(_restore(text_raw), text_fmt)
        if not text:
            result.error("empty_answer", line)
            ok = False
            continue
        feedback = plain_text(_restore(feedback_raw), feedback_fmt)
        choices.append(Choice(text=text, feedback=feedback, percent=percent, line=line))
    return choices if ok else None
