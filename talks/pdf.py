"""PDFs of a signed pledge and of a clean-government file.

Both go through ``qinglian.pdf.pdf_render``: WeasyPrint with the shared font
configuration, the CJK font (Debian fonts-noto-cjk) embedded as a subset, the static-only
URL fetcher, and an error when a character has no glyph. The documents are Chinese
whatever language the reader browses in; the title and author go into the PDF metadata
(``<title>`` and ``<meta name="author">``).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from qinglian.pdf import RenderedPDF, organisation_name, pdf_render

from .models import PledgeSignature
from .selectors.file import IntegrityFile
from .services.pledges import pledge_text_canonical

PLEDGE_TEMPLATE = "pdf/pledge.html"
FILE_TEMPLATE = "pdf/integrity_file.html"


def _render(template: str, context: dict[str, Any]) -> str:
    with translation.override("zh-hans"):
        return render_to_string(template, context)


def pledge_html(*, signature: PledgeSignature) -> str:
    text = signature.text
    return _render(
        PLEDGE_TEMPLATE,
        {
            "signature": signature,
            "text": text,
            "canonical": pledge_text_canonical(title=text.title, body=text.body),
            "signed_at": timezone.localtime(signature.signed_at),
            "organisation": organisation_name(),
        },
    )


def pledge_pdf(*, signature: PledgeSignature) -> RenderedPDF:
    """The signed pledge: the text as signed, the name, time, version and SHA-256."""
    return pdf_render(pledge_html(signature=signature))


def file_html(*, file: IntegrityFile) -> str:
    return _render(FILE_TEMPLATE, {"file": file, "organisation": organisation_name()})


def file_pdf(*, file: IntegrityFile) -> RenderedPDF:
    return pdf_render(file_html(file=file))


def pdf_filename(prefix: str, pk: int) -> str:
    """An ASCII file name (the person's name stays inside the document)."""
    return f"{prefix}-{pk}.pdf"
