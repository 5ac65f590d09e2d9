"""A worker killed (SIGKILL) in the middle of rendering a certificate: after the message is
redelivered and the sweep runs, there is exactly one certificate row and one file, whose
SHA-256 is the row's.

``test_a_worker_killed_mid_render_…`` needs the real thing (PostgreSQL shared with a
worker process, Redis): it starts its own prefork worker (one child, so the task's
``reject_on_worker_lost`` applies when the child dies) on a queue only it consumes, with
the private storage in a temporary directory and a render slowed down by the test-only
``QINGLIAN_TEST_CERT_RENDER_DELAY`` so the child can be killed mid-way. It is skipped only
without a broker and PostgreSQL. ``test_a_lost_worker_…`` shows the same recovery on any
database, the dead worker simulated by the state it leaves behind.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from certificates.models import Certificate, RenderStatus
from certificates.services.issuing import issue_certificate
from certificates.services.rendering import (
    certificate_pdf_name,
    certificates_requeue_stuck,
    render_stale_after,
)
from certificates.tasks import certificate_render_task

ROOT = Path(__file__).resolve().parents[2]
RENDER_DELAY = 8  # seconds the slowed-down render takes before laying out the PDF


def _real_worker_possible() -> bool:
    return bool(os.environ.get("CELERY_BROKER_URL")) and connection.vendor == "postgresql"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _reroute(app) -> None:
    """Make a change of ``task_routes`` take effect: Celery builds its router once (a cached
    property) from the routes of the time, so after an earlier test in this process sent a
    task, new routes were ignored and the render went to the session's own worker."""
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def _wait_for(predicate, *, timeout: float, what: str, proc=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker exited; see {log}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; see {log}")


@pytest.fixture
def fault_worker(tmp_path):
    """A prefork worker (one child) on its own queue, storage in ``tmp_path/private``."""
    from qinglian.celery_app import app

    media = tmp_path / "private"
    media.mkdir()
    queue = f"h1-faults-{os.getpid()}"
    name = f"{queue}@{socket.gethostname()}"
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "qinglian.settings.test",
        "QINGLIAN_CELERY_EAGER": "0",
        "QINGLIAN_TEST_PRIVATE_MEDIA_ROOT": str(media),
        "QINGLIAN_TEST_CERT_RENDER_DELAY": str(RENDER_DELAY),
        "PYTHONPATH": f"{ROOT / 'site'}:{ROOT}",
    }
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qinglian",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                queue,
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    previous = (app.conf.task_always_eager, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.task_routes = {"certificates.tasks.*": {"queue": queue}}
    _reroute(app)
    try:
        _wait_for(
            lambda: app.control.ping(destination=[name], timeout=1),
            timeout=90,
            what="the worker to answer a ping",
            proc=proc,
            log=log,
        )
        yield proc, media, log
    finally:
        app.conf.task_always_eager, app.conf.task_routes = previous
        _reroute(app)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not _real_worker_possible(),
    reason="killing a worker process needs a real worker: CELERY_BROKER_URL and PostgreSQL",
)
def test_a_worker_killed_mid_render_leaves_one_certificate_and_one_file(
    org, course_achievement, fault_worker
):
    proc, media, log = fault_worker
    person = org.finance_learner
    with transaction.atomic():
        certificate = issue_certificate(person, course_achievement())
    # Committed: the render is on its way to the worker, which claims the row.
    _wait_for(
        lambda: Certificate.objects.filter(
            pk=certificate.pk, status=RenderStatus.RENDERING
        ).exists(),
        timeout=60,
        what="the worker to claim the certificate",
        proc=proc,
        log=log,
    )
    children = _children(proc.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)

    # The pool notices the dead child and, the task being reject_on_worker_lost, the
    # message goes back to the queue; its redelivery finds the row still claimed.
    # Celery logs the dead child ("exited with 'signal 9 (SIGKILL)'") and, depending on
    # timing, a WorkerLostError for the task: either line shows the pool noticed.
    _wait_for(
        lambda: any(mark in log.read_text() for mark in ("WorkerLostError", "signal 9 (SIGKILL)")),
        timeout=60,
        what="the worker to report the lost child",
        proc=proc,
        log=log,
    )
    time.sleep(2)  # let a redelivered message, if any, reach the worker and be refused
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.RENDERING
    assert not certificate.file

    # The sweep, once the claim is older than the hard time limit, hands the row on.
    later = timezone.now() + render_stale_after() + datetime.timedelta(seconds=1)
    ids = certificates_requeue_stuck(now=later)
    assert ids == [certificate.pk]
    for certificate_id in ids:
        certificate_render_task.delay(certificate_id)
    _wait_for(
        lambda: Certificate.objects.filter(pk=certificate.pk, status=RenderStatus.READY).exists(),
        timeout=120,
        what="the certificate to be rendered",
        proc=proc,
        log=log,
    )
    # A second message for it (redelivered or sent twice) changes nothing.
    certificate_render_task.delay(certificate.pk)
    time.sleep(RENDER_DELAY / 2)

    assert Certificate.objects.filter(user=person).count() == 1
    certificate.refresh_from_db()
    assert certificate.render_attempts == 2
    name = f"certificates/{certificate.serial}.pdf"
    assert certificate.file.name == name
    files = sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
    assert files == [name]
    data = (media / name).read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    assert certificate.size == len(data)


@pytest.mark.integration
@pytest.mark.django_db
def test_a_lost_worker_is_recovered_by_the_sweep_with_one_file(org, course_achievement, cert_files):
    """Any database: the state a worker killed mid-render leaves (row claimed, a partial
    file at the name), the redelivered message, the sweep, the render."""
    certificate = issue_certificate(org.finance_learner, course_achievement())
    claimed_at = timezone.now()
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.RENDERING, claimed_at=claimed_at, render_attempts=1
    )
    storage = certificate.file.storage
    storage.save(certificate_pdf_name(certificate), ContentFile(b"%PDF-1.7 partial"))

    # The redelivered message: the row is still claimed, nothing happens.
    assert certificate_render_task(certificate.pk) == RenderStatus.RENDERING
    # The sweep before the hard time limit has passed leaves the claim alone…
    assert certificates_requeue_stuck(now=claimed_at + datetime.timedelta(seconds=30)) == []
    # …and after it hands the row on; the render overwrites the partial file.
    later = claimed_at + render_stale_after() + datetime.timedelta(seconds=1)
    assert certificates_requeue_stuck(now=later) == [certificate.pk]
    assert certificate_render_task(certificate.pk) == RenderStatus.READY
    certificate.refresh_from_db()
    assert cert_files() == [f"certificates/{certificate.serial}.pdf"]
    with storage.open(certificate.file.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == certificate.sha256
    assert Certificate.objects.count() == 1
