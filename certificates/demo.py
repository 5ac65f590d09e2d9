"""Demo content for certificates (证书): a template for each kind of achievement (course
结业证书, the education month's 证书, 任前廉政教育合格证书, 年度学时证明), each with two
signatories and a generated red seal, plus one bilingual template; then the examples the
wiring cannot make by itself: a few education-month completions (the demo learner's
among them: marked present at today's event, whose check-in is open), one revoked
certificate (with its reason), one reissued (superseded) certificate, and a transcript
(年度学时证明) for the demo learner.

``demo_certificate_templates_build`` runs in ``build_demo`` *before* the courses, the
education month and the appointments are built, so the certificates for the completions
the demo records come from the real wiring (the completion signals call
``issue_certificate``), and are rendered when the build's transaction commits (eagerly
without a Celery broker). ``demo_certificates_build`` runs last.

Idempotent: templates are looked up by name, the seal by its title, the collection by its
name; the revoked and the superseded examples are made only while the demo has none, and
the transcript only while the learner has no current one for the year.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from people.models import User

from .achievements import AchievementKind
from .models import Certificate, CertificateTemplate, Signatory, TemplateLanguage

COLLECTION_NAME = "证书"
SEAL_TITLE = "证书印章（演示）"
FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX_SC = 2  # Noto Sans CJK SC inside the collection
SEAL_RED = (200, 22, 29, 255)
REVOKE_REASON = "经复核，该学员课程考试记录存在代考情况，证书予以撤销。"


@dataclass(frozen=True)
class DemoTemplate:
    name: str
    kinds: tuple[str, ...]
    title: str
    body: str
    signatories: tuple[tuple[str, str], ...]  # (name, title)
    language: str = TemplateLanguage.ZH_HANS
    title_en: str = ""
    body_en: str = ""
    orientation: str = "landscape"
    validity_months: int | None = None


def _templates(year: int) -> list[DemoTemplate]:
    return [
        DemoTemplate(
            name="课程结业证书",
            kinds=(AchievementKind.COURSE,),
            title="结业证书",
            body="{name}同志于{date}完成《{achievement}》课程学习，共计{hours}学时，"
            "经考核合格，准予结业。\n特发此证。",
            signatories=(
                ("陈国栋", "市纪委监委宣传部部长"),
                ("周文静", "市委组织部干部教育科科长"),
            ),
        ),
        DemoTemplate(
            name="宣传教育月证书",
            kinds=(AchievementKind.CAMPAIGN,),
            title=f"{year}年党风廉政建设宣传教育月 证书",
            # A campaign has no hours of its own (its events' hours are in the ledger).
            body="{name}同志积极参加“{achievement}”各项活动，按要求完成规定学习任务。"
            "\n特发此证，以资鼓励。",
            signatories=(("孙志远", "市纪委常委、宣传部部长"), ("陈国栋", "市纪委监委宣传部部长")),
        ),
        DemoTemplate(
            name="任前廉政教育合格证书",
            kinds=(AchievementKind.APPOINTMENT,),
            title="任前廉政教育合格证书",
            body="{name}同志已于{date}完成{achievement}任前廉政教育，"
            "经考试合格，并签订廉洁从政承诺书。\n特发此证。",
            signatories=(("赵志刚", "第一纪检监察室主任"), ("周文静", "市委组织部干部教育科科长")),
            validity_months=36,
        ),
        DemoTemplate(
            name="年度学时证明",
            kinds=(AchievementKind.TRANSCRIPT,),
            title="年度学时证明",
            body="兹证明{name}同志{achievement}累计完成廉政教育学时{hours}学时，明细如下。",
            signatories=(("陈国栋", "市纪委监委宣传部部长"), ("刘建华", "市委党校教务处处长")),
            orientation="portrait",
        ),
        DemoTemplate(
            name="课程结业证书（中英文）",
            # Serves no kind by itself: the demo reissues one course certificate with it.
            kinds=(),
            title="结业证书",
            body="{name}同志于{date}完成《{achievement}》课程学习，共计{hours}学时，"
            "经考核合格，准予结业。",
            title_en="Certificate of Completion",
            body_en="This is to certify that {name} completed the course “{achievement}” "
            "({hours} study hours) on {date}.",
            language=TemplateLanguage.BILINGUAL,
            signatories=(
                ("陈国栋", "市纪委监委宣传部部长"),
                ("周文静", "市委组织部干部教育科科长"),
            ),
        ),
    ]


# --- the seal ------------------------------------------------------------------------


def _font(size: int) -> Any:
    from PIL import ImageFont

    if FONT_PATH.exists():
        return ImageFont.truetype(str(FONT_PATH), size, index=FONT_INDEX_SC)
    return ImageFont.load_default(size)


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def seal_png(organisation: str, *, size: int = 480) -> bytes:
    """A round red seal: a ring, a five-pointed star, the organisation's name along the
    upper arc (characters upright towards the centre) and 证书专用章 under the star. PNG
    with a transparent background."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    ring = size * 0.06
    edge = ring / 2
    draw.ellipse((edge, edge, size - edge, size - edge), outline=SEAL_RED, width=int(ring))
    draw.polygon(_star(c, c, size * 0.17), fill=SEAL_RED)

    text = organisation or "示范市纪委监委"
    char_size = int(size * 0.11)
    font = _font(char_size)
    radius = size / 2 - ring - char_size * 0.75
    span = min(250.0, 24.0 * len(text))
    for i, char in enumerate(text):
        step = span / max(1, len(text) - 1) if len(text) > 1 else 0
        angle = -90 - span / 2 + i * step if len(text) > 1 else -90
        glyph = Image.new("RGBA", (char_size * 2, char_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (char_size, char_size),
            char,
            font=font,
            fill=SEAL_RED,
            anchor="mm",
            stroke_width=2,
            stroke_fill=SEAL_RED,
        )
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(angle)) - glyph.width / 2
        y = c + radius * math.sin(math.radians(angle)) - glyph.height / 2
        image.alpha_composite(glyph, (round(x), round(y)))

    draw.text(
        (c, c + size * 0.27),
        "证书专用章",
        font=_font(int(size * 0.075)),
        fill=SEAL_RED,
        anchor="mm",
        stroke_width=1,
        stroke_fill=SEAL_RED,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _collection() -> Any:
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=COLLECTION_NAME).first()
    return existing or root.add_child(name=COLLECTION_NAME)


def _seal_image() -> Any:
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from qinglian.pdf import organisation_name

    image_model = get_image_model()
    existing = image_model.objects.filter(title=SEAL_TITLE).first()
    if existing is not None:
        return existing
    png = seal_png(organisation_name())
    image = image_model(title=SEAL_TITLE, collection=_collection())
    image.file = ImageFile(io.BytesIO(png), name="demo-seal.png")
    image.save()
    return image


# --- templates -----------------------------------------------------------------------


@transaction.atomic
def demo_certificate_templates_build() -> dict[str, int]:
    """The demo templates with their signatories and the seal. Returns counts."""
    seal = _seal_image()
    created = 0
    for spec in _templates(timezone.localdate().year):
        if CertificateTemplate.objects.filter(name=spec.name).exists():
            continue
        template = CertificateTemplate(
            name=spec.name,
            kinds=list(spec.kinds),
            language=spec.language,
            orientation=spec.orientation,
            title=spec.title,
            body=spec.body,
            title_en=spec.title_en,
            body_en=spec.body_en,
            seal=seal,
            validity_months=spec.validity_months,
        )
        template.signatories = [
            Signatory(name=name, title=title, sort_order=i)
            for i, (name, title) in enumerate(spec.signatories)
        ]
        template.save()
        created += 1
    return {"templates": CertificateTemplate.objects.count(), "created": created}


# --- examples ------------------------------------------------------------------------


def _superuser() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _campaign_example(learner: User | None, trainer: User | None, *, people: int = 3) -> int:
    """The demo's education month has one required event left, today's visit, whose
    check-in is open while the demo is built: mark a few early arrivals present there
    (the demo learner first) through the attendance service, which completes their
    campaign; the certificate comes from the completion signal."""
    from events.models import AttendanceMethod, AttendanceStatus, Campaign
    from events.services.attendance import attendance_mark
    from events.services.completion import campaign_status_for

    if trainer is None or Certificate.objects.filter(kind=AchievementKind.CAMPAIGN).exists():
        return 0
    campaign = Campaign.objects.order_by("-year", "-pk").first()
    if campaign is None:
        return 0
    now = timezone.now()
    candidates = [learner] if learner is not None else []
    candidates += list(
        User.objects.filter(is_active=True, employee_number__startswith="SZ")
        .exclude(unit=None)
        .order_by("employee_number")
    )
    done = 0
    for person in candidates:
        if done >= people:
            break
        status = campaign_status_for(user=person, campaign=campaign)
        if not status.included or status.completed:
            continue
        missing = [p.event for p in status.events if not p.state.counts]
        open_now = [e for e in missing if e.checkin_opens_at and e.checkin_opens_at <= now]
        if not missing or len(open_now) != len(missing):
            continue
        for event in open_now:
            attendance_mark(
                event=event,
                user=person,
                status=AttendanceStatus.PRESENT,
                by=trainer,
                method=AttendanceMethod.ROSTER,
                checked_in_at=now,
            )
        done += 1
    return done


def _revoked_example(learner: User | None) -> int:
    """Revoke one course certificate of someone other than the demo learner."""
    from .services.lifecycle import certificate_revoke

    if Certificate.objects.filter(revoked_at__isnull=False).exists():
        return 0
    victim = (
        Certificate.objects.filter(is_current=True, kind=AchievementKind.COURSE)
        .exclude(user=learner)
        .order_by("-pk")
        .first()
    )
    by = _superuser()
    if victim is None or by is None:
        return 0
    certificate_revoke(certificate=victim, by=by, reason=REVOKE_REASON)
    return 1


def _superseded_example(learner: User | None) -> int:
    """Reissue the demo learner's course certificate with the bilingual template (as a
    trainer would after adding the English wording), so the learner sees a superseded
    one and a current one."""
    from .services.issuing import certificate_replace

    if Certificate.objects.filter(superseded_at__isnull=False).exists() or learner is None:
        return 0
    old = (
        Certificate.objects.filter(
            user=learner, is_current=True, kind=AchievementKind.COURSE, revoked_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    bilingual = CertificateTemplate.objects.filter(language=TemplateLanguage.BILINGUAL).first()
    if old is None:
        return 0
    certificate_replace(old, template=bilingual)
    return 1


def _transcript(learner: User | None) -> int:
    from courses.services.transcript import transcript_issue

    if learner is None:
        return 0
    year = timezone.localdate().year
    if Certificate.objects.filter(
        user=learner, achievement_key=f"transcript:{year}", is_current=True
    ).exists():
        return 0
    transcript_issue(user=learner, year=year)
    return 1


@transaction.atomic
def demo_certificates_build(*, domain: str) -> dict[str, int]:
    """A few education-month completions, the revoked and superseded examples and the
    learner's transcript, after every other completion of the demo has been recorded.
    Returns counts."""
    learner = User.objects.filter(email=f"learner@{domain}").first()
    trainer = User.objects.filter(email=f"trainer@{domain}").first()
    _campaign_example(learner, trainer)
    added = _revoked_example(learner) + _superseded_example(learner) + _transcript(learner)
    return {
        "certificates": Certificate.objects.filter(is_current=True).count(),
        "revoked": Certificate.objects.filter(revoked_at__isnull=False).count(),
        "added": added,
    }
