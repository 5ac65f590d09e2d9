"""ZIP batches of a course's or campaign's certificates: exactly the ready, current
certificates of people in the requester's scope, named ``<serial>-<name>.pdf``, with a
manifest; a double click makes one batch; a second build does nothing; progress is
reported; only the requester sees and downloads it."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

import certificates.services.batches as batches_module
from certificates.achievements import AchievementKind
from certificates.factories import CertificateFactory
from certificates.models import BatchStatus, Certificate, CertificateBatch, RenderStatus
from certificates.services.batches import batch_build, batch_request, batches_requeue_stuck
from events.factories import CampaignFactory
from people.factories import UserFactory
from people.models import Role
from people.services import role_grant, role_revoke

COURSE = 501


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def ready(user, *, source_id: int = COURSE, kind: str = AchievementKind.COURSE, **kwargs):
    certificate = CertificateFactory(
        user=user,
        kind=kind,
        source_id=source_id,
        status=RenderStatus.READY,
        achievement_title="廉洁从政专题课程",
        sha256="",
        **kwargs,
    )
    data = f"%PDF-1.7 {certificate.serial} {user.full_name}".encode()
    certificate.file.save(f"{certificate.serial}.pdf", ContentFile(data), save=False)
    certificate.sha256 = f"sha-{certificate.serial}"
    certificate.save()
    return certificate


@pytest.fixture
def course(org):
    """Ready certificates of the course for people in three units, and certificates that
    never belong in its ZIP."""
    made = {
        "finance": ready(org.finance_learner),
        "budget": ready(org.budget_learner),
        "housing": ready(org.housing_learner),
    }
    CertificateFactory(user=org.trainer, kind="course", source_id=COURSE)  # pending
    ready(org.discipline, revoked_at=timezone.now(), revoked_reason="作废")
    ready(org.finance_admin, is_current=False, superseded_at=timezone.now())
    ready(org.finance_learner, source_id=COURSE + 1)  # another course
    ready(org.finance_learner, kind=AchievementKind.CAMPAIGN, source_id=COURSE)  # a campaign
    return made


def read_zip(batch: CertificateBatch) -> zipfile.ZipFile:
    with batch.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def manifest(archive: zipfile.ZipFile) -> list[list[str]]:
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_zip_holds_exactly_the_in_scope_certificates(org, course):
    batch = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    assert batch.status == BatchStatus.PENDING and batch.total == 2
    batch = batch_build(batch_id=batch.pk)
    assert batch.status == BatchStatus.DONE and batch.done == batch.total == 2
    assert batch.percent == 100
    assert batch.file.name == f"certificate-batches/{batch.pk}.zip"

    archive = read_zip(batch)
    finance, budget = course["finance"], course["budget"]
    names = {f"{finance.serial}-张三丰.pdf": finance, f"{budget.serial}-李四.pdf": budget}
    assert set(archive.namelist()) == {*names, "manifest.csv"}
    for name, certificate in names.items():
        info = archive.getinfo(name)
        assert info.flag_bits & 0x800  # the names are flagged UTF-8
        with certificate.file.open("rb") as stored:
            assert archive.read(name) == stored.read()
    rows = manifest(archive)
    assert rows[0] == ["serial", "name", "unit", "achievement", "date", "sha256"]
    assert sorted(rows[1:]) == sorted(
        [
            [
                finance.serial,
                "张三丰",
                "市财政局",
                "廉洁从政专题课程",
                "2026-11-20",
                finance.sha256,
            ],
            [budget.serial, "李四", "预算科", "廉洁从政专题课程", "2026-11-20", budget.sha256],
        ]
    )


def test_another_units_admin_gets_only_their_own_people(org, course):
    batch = batch_build(
        batch_id=batch_request(by=org.housing_admin, kind="course", source_id=COURSE).pk
    )
    archive = read_zip(batch)
    assert archive.namelist() == [f"{course['housing'].serial}-王五.pdf", "manifest.csv"]


def test_a_superuser_gets_everyone(org, course):
    batch = batch_build(
        batch_id=batch_request(by=org.superuser, kind="course", source_id=COURSE).pk
    )
    assert batch.done == 3 and len(read_zip(batch).namelist()) == 4


def test_the_scope_is_the_one_held_when_asked(org, course):
    """A role lost after asking does not widen or narrow what the batch holds; the stored
    scope decides."""
    batch = batch_request(by=org.housing_admin, kind="course", source_id=COURSE)
    assert batch.scope_paths == [org.housing.path]
    role_revoke(user=org.housing_admin, role=Role.UNIT_ADMIN, unit=org.housing)
    role_grant(user=org.housing_admin, role=Role.UNIT_ADMIN, unit=org.city)
    names = read_zip(batch_build(batch_id=batch.pk)).namelist()
    assert names == [f"{course['housing'].serial}-王五.pdf", "manifest.csv"]


def test_formula_cells_are_escaped_in_the_manifest(org):
    person = UserFactory(full_name="=HYPERLINK(1)", unit=org.finance)
    ready(person)
    batch = batch_build(
        batch_id=batch_request(by=org.finance_admin, kind="course", source_id=COURSE).pk
    )
    assert manifest(read_zip(batch))[1][1] == "'=HYPERLINK(1)"


def test_nothing_in_scope_is_refused_and_nothing_written(org, course):
    with pytest.raises(ValidationError):
        batch_request(by=org.housing_admin, kind="course", source_id=COURSE + 99)
    with pytest.raises(ValidationError):
        batch_request(by=org.finance_admin, kind="transcript", source_id=2026)
    with pytest.raises(PermissionDenied):
        batch_request(by=org.finance_learner, kind="course", source_id=COURSE)
    assert not CertificateBatch.objects.exists()


def test_a_double_click_makes_one_batch_and_a_second_build_does_nothing(org, course):
    first = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    again = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    assert again.pk == first.pk and again.reused
    assert CertificateBatch.objects.count() == 1
    built = batch_build(batch_id=first.pk)
    finished_at = built.finished_at
    with built.file.open("rb") as handle:
        data = handle.read()
    rerun = batch_build(batch_id=first.pk)
    assert rerun.status == BatchStatus.DONE and rerun.finished_at == finished_at
    with rerun.file.open("rb") as handle:
        assert handle.read() == data
    # Just finished: a late second click still lands on it.
    assert batch_request(by=org.finance_admin, kind="course", source_id=COURSE).pk == first.pk
    # Asking again later builds a fresh one (certificates may have been issued since).
    CertificateBatch.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    assert batch_request(by=org.finance_admin, kind="course", source_id=COURSE).pk != first.pk


def test_a_running_batch_is_not_built_twice(org, course):
    batch = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    CertificateBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    assert batch_build(batch_id=batch.pk).status == BatchStatus.RUNNING
    assert not CertificateBatch.objects.get(pk=batch.pk).file


def test_progress_is_written_as_the_zip_grows(org, course, monkeypatch):
    for _ in range(3):
        ready(UserFactory(unit=org.finance_budget))
    monkeypatch.setattr(batches_module, "PROGRESS_EVERY", 2)
    batch = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    seen: list[tuple[int, int, str]] = []
    real = batches_module.batch_member_name

    def spy(certificate):
        row = CertificateBatch.objects.get(pk=batch.pk)
        seen.append((row.done, row.total, row.status))
        return real(certificate)

    monkeypatch.setattr(batches_module, "batch_member_name", spy)
    batch_build(batch_id=batch.pk)
    assert [done for done, _total, _status in seen] == [0, 0, 2, 2, 4]
    assert {(total, status) for _done, total, status in seen} == {(5, BatchStatus.RUNNING)}


def test_a_missing_pdf_fails_nothing_else(org, course):
    course["budget"].file.storage.delete(course["budget"].file.name)
    batch = batch_build(
        batch_id=batch_request(by=org.finance_admin, kind="course", source_id=COURSE).pk
    )
    assert batch.status == BatchStatus.DONE and batch.done == 1
    assert read_zip(batch).namelist() == [f"{course['finance'].serial}-张三丰.pdf", "manifest.csv"]


def test_stuck_batches_are_sent_again(org, course):
    batch = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    later = timezone.now() + datetime.timedelta(minutes=10)
    assert batches_requeue_stuck(now=later) == [batch.pk]
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, started_at=timezone.now()
    )
    assert batches_requeue_stuck(now=later) == []  # still within its time
    assert batches_requeue_stuck(now=timezone.now() + datetime.timedelta(hours=1)) == [batch.pk]
    assert CertificateBatch.objects.get(pk=batch.pk).status == BatchStatus.PENDING
    batches_requeue_stuck(now=timezone.now() + datetime.timedelta(days=1))
    assert CertificateBatch.objects.get(pk=batch.pk).status == BatchStatus.FAILED


# --- Pages ---------------------------------------------------------------------------


def test_the_list_offers_the_courses_with_counts_in_scope(client, org, course):
    client.force_login(org.finance_admin)
    body = client.get(url("certificates:batch_list")).content.decode()
    assert "廉洁从政专题课程" in body
    # Course 501: 张三丰 and 李四 are in the finance bureau's subtree; 王五 is not.
    rows = {
        (kind, int(source)): int(count)
        for count, kind, source in re.findall(
            r'class="num">(\d+)</td>.*?name="kind" value="(\w+)">.*?'
            r'name="source_id" value="(\d+)"',
            body,
            flags=re.S,
        )
    }
    assert rows == {("course", COURSE): 2, ("course", COURSE + 1): 1, ("campaign", COURSE): 1}


@pytest.mark.parametrize("who", ["finance_learner", "trainer"])
def test_people_without_the_role_are_refused(client, org, course, who):
    client.force_login(getattr(org, who))
    assert client.get(url("certificates:batch_list")).status_code == 403
    response = client.post(
        url("certificates:batch_create"), {"kind": "course", "source_id": COURSE}
    )
    assert response.status_code == 403
    assert not CertificateBatch.objects.exists()


def test_asking_building_and_downloading_through_the_pages(
    client, org, course, django_capture_on_commit_callbacks
):
    client.force_login(org.finance_admin)
    response = client.post(
        url("certificates:batch_create"), {"kind": "course", "source_id": str(COURSE)}
    )
    batch = CertificateBatch.objects.get()
    assert response["Location"] == url("certificates:batch_detail", batch.pk)
    # Not built yet: progress, a refresh hint, no download.
    body = client.get(url("certificates:batch_detail", batch.pk)).content.decode()
    assert "0 of 2 certificates added." in body and "data-refresh-seconds" in body
    assert url("certificates:batch_download", batch.pk) not in body
    assert client.get(url("certificates:batch_download", batch.pk)).status_code == 404
    # A second click while it waits lands on the same batch.
    response = client.post(
        url("certificates:batch_create"), {"kind": "course", "source_id": str(COURSE)}, follow=True
    )
    assert CertificateBatch.objects.count() == 1
    assert "already being prepared" in response.content.decode()

    batch_build(batch_id=batch.pk)
    body = client.get(url("certificates:batch_detail", batch.pk)).content.decode()
    assert url("certificates:batch_download", batch.pk) in body
    assert "data-refresh-seconds" not in body
    response = client.get(url("certificates:batch_download", batch.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 3


def test_the_build_runs_on_commit(client, org, course, django_capture_on_commit_callbacks):
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("certificates:batch_create"), {"kind": "course", "source_id": str(COURSE)})
    assert CertificateBatch.objects.get().status == BatchStatus.DONE  # eager Celery in tests


@pytest.mark.parametrize("who", ["housing_admin", "city_admin", "superuser"])
def test_only_the_requester_sees_and_downloads_a_batch(client, org, course, who):
    batch = batch_build(
        batch_id=batch_request(by=org.finance_admin, kind="course", source_id=COURSE).pk
    )
    client.force_login(getattr(org, who))
    assert client.get(url("certificates:batch_detail", batch.pk)).status_code == 404
    assert client.get(url("certificates:batch_download", batch.pk)).status_code == 404


def test_asking_for_an_achievement_with_nobody_in_scope_says_so(client, org, course):
    client.force_login(org.housing_admin)
    response = client.post(
        url("certificates:batch_create"),
        {"kind": "course", "source_id": str(COURSE + 1)},
        follow=True,
    )
    assert "no ready certificate" in response.content.decode()
    assert not CertificateBatch.objects.exists()


def test_the_list_needs_the_same_queries_for_one_or_many(
    client, org, course, django_assert_max_num_queries
):
    client.force_login(org.finance_admin)
    target = url("certificates:batch_list")
    client.get(target)
    with django_assert_max_num_queries(12) as one:
        client.get(target)
    for n in range(4):
        ready(org.budget_learner, source_id=COURSE + 10 + n)
        batch_request(by=org.finance_admin, kind="course", source_id=COURSE + 10 + n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(target).status_code == 200


def test_the_certificates_in_a_batch_are_the_current_ones(org, course):
    """A certificate superseded after the request is not in the ZIP; its successor is."""
    batch = batch_request(by=org.finance_admin, kind="course", source_id=COURSE)
    old = course["finance"]
    Certificate.objects.filter(pk=old.pk).update(is_current=False, superseded_at=timezone.now())
    new = ready(org.finance_learner)
    names = read_zip(batch_build(batch_id=batch.pk)).namelist()
    assert f"{new.serial}-张三丰.pdf" in names and f"{old.serial}-张三丰.pdf" not in names


def test_the_campaign_report_links_managers_to_its_zip(client, org):
    campaign = CampaignFactory(audience_unit=org.city, created_by=org.city_admin)
    ready(org.finance_learner, kind=AchievementKind.CAMPAIGN, source_id=campaign.pk)
    report = url("events:report_campaign", campaign.pk)
    link = url("certificates:batch_list") + f"?kind=campaign&amp;source={campaign.pk}"
    client.force_login(org.city_admin)
    assert link in client.get(report).content.decode()
    body = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'name="source_id" value="{campaign.pk}"' in body
    assert f'name="source_id" value="{COURSE}"' not in body  # only the chosen one
    client.force_login(org.trainer)  # reads reports, makes no batches
    assert link not in client.get(report).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "course", "source_id": "abc"},
        {"kind": "course", "source_id": "-1"},
        {"kind": "transcript", "source_id": "2026"},
        {"kind": "<script>", "source_id": str(COURSE)},
        {"kind": "course", "source_id": "9" * 40},
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, org, course, data):
    client.force_login(org.finance_admin)
    response = client.post(url("certificates:batch_create"), data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == url("certificates:batch_list")
    assert "Choose a course or an education month." in response.content.decode() or (
        "no ready certificate" in response.content.decode()
    )
    assert not CertificateBatch.objects.exists()
