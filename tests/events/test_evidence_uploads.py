"""Evidence files are judged by their content: photos that Pillow can open, PDFs, Word
documents; never SVG/HTML, programs, empty or oversized files, whatever their name."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from events.uploads import DOCX, JPEG, PDF, PNG, evidence_check, evidence_name_clean, evidence_read


@pytest.fixture(autouse=True)
def _english():
    """The messages below are asserted in English (Chinese is the default language)."""
    with translation.override("en"):
        yield


def jpeg_bytes(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(buf, "PNG")
    return buf.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def docx_bytes(*, macros: bool = False, word: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        ct = "application/vnd.ms-word.document.macroEnabled.main+xml" if macros else "x"
        z.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types c="{ct}"/>')
        if word:
            z.writestr("word/document.xml", "<w:document/>")
        if macros:
            z.writestr("word/vbaProject.bin", b"\x00" * 10)
    return buf.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("会场照片.jpg", jpeg_bytes(), JPEG),
        ("签到表.png", png_bytes(), PNG),
        ("会议纪要.pdf", PDF_BYTES, PDF),
        ("总结.docx", docx_bytes(), DOCX),
        # The name does not matter: a PNG named .pdf is a PNG.
        ("scan.pdf", png_bytes(), PNG),
    ],
)
def test_accepted_files(name, data, content_type):
    checked = evidence_check(name=name, data=data, max_bytes=1024 * 1024)
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert checked.original_name == name


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("空文件.jpg", b"", "empty"),
        ("photo.svg", SVG, "SVG, HTML and XML"),
        ("photo.jpg", SVG, "SVG, HTML and XML"),
        ("page.html", HTML, "SVG, HTML and XML"),
        ("  \n<html>", b"  \n<html><body>x</body></html>", "SVG, HTML and XML"),
        ("holiday.jpg", EXE, "programs and scripts"),
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n", "programs and scripts"),
        ("elf.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "programs and scripts"),
        ("notes.txt", "纯文本说明".encode(), "type of file is not accepted"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "programs and scripts"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "damaged"),
        ("truncated.png", png_bytes()[:60], "damaged"),
        ("archive.docx", docx_bytes(word=False), "only Word documents"),
        ("macro.docx", docx_bytes(macros=True), "macros"),
        ("bad.docx", b"PK\x03\x04" + b"\x00" * 50, "damaged"),
        (
            "js.pdf",
            PDF_BYTES.replace(b"/Catalog", b"/Catalog/OpenAction<</S/JavaScript>>"),
            "scripts",
        ),
        ("cut.pdf", PDF_BYTES[:40], "incomplete"),
    ],
)
def test_refused_files(name, data, message):
    with pytest.raises(ValidationError) as exc:
        evidence_check(name=name, data=data, max_bytes=1024 * 1024)
    text = " ".join(exc.value.messages)
    assert message in text
    assert evidence_name_clean(name) in text  # the message names the file


def test_oversized_file_refused_before_reading_it_all():
    data = jpeg_bytes()
    upload = SimpleUploadedFile("big.jpg", data, content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        evidence_read(upload, max_bytes=len(data) - 1)
    assert "too large" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        evidence_check(name="big.jpg", data=data, max_bytes=len(data) - 1)
    assert evidence_check(name="ok.jpg", data=data, max_bytes=len(data)).content_type == JPEG


def test_browser_content_type_is_ignored():
    upload = SimpleUploadedFile("x.jpg", SVG, content_type="image/jpeg")
    with pytest.raises(ValidationError):
        evidence_read(upload, max_bytes=1024 * 1024)


def test_image_bomb_refused(monkeypatch):
    monkeypatch.setattr("events.uploads.MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ValidationError) as exc:
        evidence_check(name="huge.png", data=png_bytes((20, 20)), max_bytes=1024 * 1024)
    assert "too large to open" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\照片.jpg", "照片.jpg"),
        ("a\x00b\nc.pdf", "abc.pdf"),
        ("", "evidence"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert evidence_name_clean(raw) == clean
