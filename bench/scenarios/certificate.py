"""One CJK certificate (结业证书 with a template, two signatories and a red seal) against
WeasyPrint rendering a blank page with the same font configuration; and a batch of 1,000
certificates rendered one by one, to show memory stays flat.

The subject is what the render task does apart from storage: read the certificate with
its template, signatories and seal, build the HTML and lay out and write the PDF
(``certificates.pdf.certificate_pdf``). QUALITY.md: ≤ 10× the blank page, PDF ≤ 150 KB,
fonts subset and embedded.

The batch runs in this process after the timing, one ``certificate_pdf`` per row of 1,000
certificates with different holders and courses. Linux's peak resident set size
(``VmHWM``) is reset (``/proc/self/clear_refs``) after a warm-up render, read after 100
renders and again after 1,000: with one font configuration per process and nothing kept
between renders the two peaks match. ``QINGLIAN_BENCH_CERT_BATCH`` changes the batch size
(for a quick run); the tracemalloc peak of one render is reported as the other scenarios
do (tracemalloc over the whole batch would slow it several times).
"""

from __future__ import annotations

import datetime
import io
import os
import re
import secrets
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import Scenario, count_queries, peak_memory_bytes

BATCH = int(os.environ.get("QINGLIAN_BENCH_CERT_BATCH", "1000"))
CHECKPOINT = 100
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "建华", "喆", "堃", "子涵",
         "思远", "嘉怡", "浩然", "晓东", "国庆", "玉兰", "德明"]  # fmt: skip
COURSES = [
    "《中国共产党纪律处分条例》专题学习",
    "深入贯彻中央八项规定精神",
    "以案为鉴 以案促改——警示教育专题",
    "任前廉政教育必修课程",
    "政府采购领域廉政风险防控",
]


def _template() -> Any:
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from certificates.demo import seal_png
    from certificates.models import CertificateTemplate, Signatory

    image = get_image_model()(title="基准印章")
    image.file = ImageFile(io.BytesIO(seal_png("示范市纪委监委")), name="bench-seal.png")
    image.save()
    template = CertificateTemplate(
        name="基准结业证书",
        kinds=["course"],
        title="结业证书",
        body="{name}同志于{date}完成《{achievement}》课程学习，共计{hours}学时，"
        "经考核合格，准予结业。\n特发此证。",
        issuer="示范市纪委监委",
        seal=image,
    )
    template.signatories = [
        Signatory(name="陈国栋", title="市纪委监委宣传部部长", sort_order=0),
        Signatory(name="周文静", title="市委组织部干部教育科科长", sort_order=1),
    ]
    template.save()
    return template


def setup() -> dict[str, Any]:
    from certificates.models import Certificate, RenderStatus
    from people.factories import UserFactory, unit_create

    unit = unit_create(code="BENCH-CZJ", name="市财政局预算科")
    holder = UserFactory(email="bench-cert@example.gov.cn", full_name="张三丰", unit=unit)
    template = _template()
    issued = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)
    rows = []
    for i in range(BATCH + 1):  # row 0 is the timed one
        name = "张三丰" if i == 0 else SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
        rows.append(
            Certificate(
                user=holder,
                holder_name=name,
                kind="course",
                achievement_key=f"course:{5000 + i}",
                achievement_title=COURSES[i % len(COURSES)],
                achieved_on=datetime.date(2026, 11, 1) + datetime.timedelta(days=i % 20),
                hours=Decimal("2.0") + Decimal(i % 8),
                source_id=5000 + i,
                template=template,
                issuer="示范市纪委监委",
                serial=f"QL-2026-{100000 + i:06d}",
                code=secrets.token_hex(10).upper(),
                issued_at=issued,
                status=RenderStatus.PENDING,
                is_current=True,
            )
        )
    Certificate.objects.bulk_create(rows)
    ids = list(Certificate.objects.filter(user=holder).order_by("pk").values_list("pk", flat=True))
    return {"id": ids[0], "batch_ids": ids[1:]}


def _render(certificate_id: int) -> Any:
    from certificates.models import Certificate
    from certificates.pdf import certificate_pdf

    certificate = Certificate.objects.select_related("template", "user").get(pk=certificate_id)
    return certificate_pdf(certificate)


def subject(state: dict[str, Any]) -> None:
    _render(state["id"])


def baseline(state: dict[str, Any]) -> None:
    from weasyprint import HTML

    from qinglian.pdf import FONT_CONFIG

    HTML(string="<!DOCTYPE html><html><body></body></html>").write_pdf(font_config=FONT_CONFIG)


def _fonts(data: bytes) -> tuple[int, bool]:
    from pypdf import PdfReader

    names = set()
    embedded = True
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            target = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = target["/FontDescriptor"].get_object()
            embedded &= any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return len(names), bool(names) and embedded and all(re.match(r"/[A-Z]{6}\+", n) for n in names)


def _proc_status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def batch(ids: list[int]) -> dict[str, Any]:
    """Render every certificate of ``ids`` one by one; resident memory after a warm-up,
    after ``CHECKPOINT`` (100) renders and at the end (peaks since the warm-up)."""
    import gc

    _render(ids[0])  # warm-up (imports, fonts, template, seal)
    gc.collect()
    reset = _reset_peak_rss()
    start_rss = _proc_status_kb("VmRSS")
    checkpoint = min(CHECKPOINT, len(ids))
    points: dict[int, tuple[int | None, int | None]] = {}
    sizes = []
    t0 = time.perf_counter()
    for n, pk in enumerate(ids, start=1):
        sizes.append(len(_render(pk).data))
        if n in (checkpoint, len(ids)):
            points[n] = (_proc_status_kb("VmHWM"), _proc_status_kb("VmRSS"))
    seconds = time.perf_counter() - t0
    (first_peak, first_rss), (last_peak, last_rss) = points[checkpoint], points[len(ids)]
    return {
        "batch_size": len(ids),
        "batch_seconds": round(seconds, 1),
        "batch_ms_per_certificate": round(seconds * 1000 / len(ids), 1),
        "batch_max_pdf_kb": round(max(sizes) / 1024, 1),
        "rss_after_warmup_mb": _mb(start_rss),
        "checkpoint": checkpoint,
        "peak_rss_at_checkpoint_mb": _mb(first_peak) if reset else None,
        "peak_rss_at_end_mb": _mb(last_peak) if reset else None,
        "rss_at_checkpoint_mb": _mb(first_rss),
        "rss_at_end_mb": _mb(last_rss),
        "peak_rss_growth_mb": (
            round((last_peak - first_peak) / 1024, 1)
            if reset and last_peak is not None and first_peak is not None
            else None
        ),
    }


def counters(state: dict[str, Any]) -> dict[str, Any]:
    rendered = _render(state["id"])
    fonts, subset_and_embedded = _fonts(rendered.data)
    result: dict[str, Any] = {
        "pdf_bytes": len(rendered.data),
        "pdf_kb": round(len(rendered.data) / 1024, 1),
        "pdf_within_150kb": len(rendered.data) <= 150 * 1024,
        "pages": rendered.page_count,
        "fonts": fonts,
        "fonts_subset_and_embedded": subset_and_embedded,
        "queries": count_queries(_render, state["id"]),
        "peak_mem_mb": round(peak_memory_bytes(_render, state["id"]) / 2**20, 1),
    }
    result.update(batch(state["batch_ids"]))
    return result


SCENARIO = Scenario(
    name="certificate",
    description="one CJK certificate (template, 2 signatories, seal; subset fonts) vs "
    "WeasyPrint rendering a blank page; then a batch of 1,000 rendered one by one (peak RSS "
    "after 100 and after 1,000)",
    setup=setup,
    subject=subject,
    baseline=baseline,
    counters=counters,
    target_ratio=10.0,
    pairs=7,
)
