"""Evidence uploads: what a file *is*, decided by its content, never by its name or the
content type the browser sent.

Allowed: JPEG and PNG photos (Pillow must open and verify them), PDF (minutes, scanned
sign-in sheets; no embedded JavaScript or launch actions) and DOCX (a ZIP holding a Word
document part, no macros). Everything else is refused with a message that says why:
empty files, files over ``QINGLIAN_EVIDENCE_MAX_BYTES``, SVG/HTML/XML (they can carry
scripts), executables and scripts, other ZIPs, and anything unrecognised.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

IMAGE_TYPES = frozenset({JPEG, PNG})
ALLOWED_TYPES = frozenset({JPEG, PNG, PDF, DOCX})

#: Pillow refuses images with more pixels than this (decompression bombs); a 60 MP photo
#: is more than any phone camera takes.
MAX_IMAGE_PIXELS = 60_000_000
#: A DOCX's parts together may not unpack to more than this (ZIP bombs).
MAX_DOCX_UNPACKED = 200 * 1024 * 1024
NAME_MAX = 255

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
    b"\xd0\xcf\x11\xe0",  # OLE2 (old .doc/.xls, .msi): may carry macros
)


@dataclass(frozen=True)
class EvidenceFile:
    """A checked upload: the bytes, what they are, and a safe display name."""

    data: bytes
    content_type: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def evidence_max_bytes() -> int:
    return int(getattr(settings, "QINGLIAN_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def evidence_name_clean(name: str) -> str:
    """The uploaded name without any directory part or control characters, at most 255
    characters (kept for display and the download's file name only)."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: NAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:NAME_MAX]
    return name or "evidence"


def _refuse(message: str, name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s: %(problem)s") % {"name": name, "problem": message}, code="evidence"
    )


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _looks_like_markup(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    return head.startswith(b"<") or b"<svg" in head or b"<html" in head or b"<script" in head


def _check_image(data: bytes, expected: str) -> bool:
    from PIL import Image

    fmt = {JPEG: "JPEG", PNG: "PNG"}[expected]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return False
            image.verify()
        # verify() leaves the image unusable; load it once more to decode the pixels
        # (catches truncated files verify() lets through).
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()
    except Exception:  # Pillow raises many kinds; any failure means "not a valid image"
        return False
    return True


def _check_pdf(data: bytes) -> str | None:
    """A problem with a PDF, or None."""
    if b"%%EOF" not in data[-2048:]:
        return _("the PDF is incomplete or damaged.")
    lowered = data.lower()
    if b"/javascript" in lowered or b"/launch" in lowered:
        return _("the PDF contains scripts or launch actions; save it again without them.")
    return None


def _check_docx(data: bytes) -> str | None:
    """A problem with a Word (DOCX) file, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return _("only Word documents (.docx) are accepted among ZIP-based files.")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return _("the Word document contains macros; save it as a plain .docx.")
            if sum(info.file_size for info in infos) > MAX_DOCX_UNPACKED:
                return _("the Word document is too large once unpacked.")
            content_types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return _("the Word document is damaged.")
    if b"macroEnabled" in content_types:
        return _("the Word document contains macros; save it as a plain .docx.")
    return None


def evidence_check(*, name: str, data: bytes, max_bytes: int | None = None) -> EvidenceFile:
    """Check one upload by content. Returns what it is, or raises a ValidationError whose
    message names the file and the problem."""
    display = evidence_name_clean(name)
    limit = evidence_max_bytes() if max_bytes is None else max_bytes
    if not data:
        raise _refuse(_("the file is empty."), display)
    if len(data) > limit:
        raise _refuse(
            _("the file is too large (%(size)s); at most %(max)s per file.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(limit)},
            display,
        )
    kind = _sniff(data)
    if kind is None:
        if data.startswith(_EXECUTABLE_MAGIC):
            raise _refuse(_("programs and scripts are not accepted."), display)
        if _looks_like_markup(data):
            raise _refuse(
                _("SVG, HTML and XML files are not accepted (they can contain scripts)."),
                display,
            )
        raise _refuse(
            _("this type of file is not accepted. Upload JPEG or PNG photos, PDF or Word (.docx) documents."),
            display,
        )  # fmt: skip
    if kind in IMAGE_TYPES:
        if not _check_image(data, kind):
            raise _refuse(_("the image is damaged or too large to open."), display)
        return EvidenceFile(data=data, content_type=kind, original_name=display)
    if kind == PDF:
        problem = _check_pdf(data)
        if problem:
            raise _refuse(problem, display)
        return EvidenceFile(data=data, content_type=PDF, original_name=display)
    problem = _check_docx(data)
    if problem:
        raise _refuse(problem, display)
    return EvidenceFile(data=data, content_type=DOCX, original_name=display)


def evidence_read(uploaded: Any, *, max_bytes: int | None = None) -> EvidenceFile:
    """Read an ``UploadedFile`` (refusing one over the limit before reading it all) and
    check it."""
    limit = evidence_max_bytes() if max_bytes is None else max_bytes
    name = getattr(uploaded, "name", "") or ""
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _refuse(
            _("the file is too large (%(size)s); at most %(max)s per file.")
            % {"size": filesizeformat(size), "max": filesizeformat(limit)},
            evidence_name_clean(name),
        )
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    return evidence_check(name=name, data=data, max_bytes=limit)
