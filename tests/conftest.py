"""Shared fixtures: a small organisation with one person per role, and (when a broker is
configured) a real Celery worker for tests marked ``integration``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from kombu.exceptions import ChannelError

from people.factories import UserFactory, rank, unit_create
from people.models import OrgUnit, Role, User
from people.services import role_grant

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"


@dataclass
class Org:
    city: OrgUnit
    finance: OrgUnit
    finance_budget: OrgUnit
    housing: OrgUnit
    housing_office: OrgUnit
    finance_admin: User
    housing_admin: User
    city_admin: User
    discipline: User
    trainer: User
    finance_learner: User
    budget_learner: User
    housing_learner: User
    superuser: User


def build_org() -> Org:
    city = unit_create(code="CITY", name="某市")
    finance = unit_create(code="CZJ", name="市财政局", parent=city)
    budget = unit_create(code="CZJ-YSK", name="预算科", parent=finance)
    housing = unit_create(code="ZJJ", name="市住建局", parent=city)
    housing_office = unit_create(code="ZJJ-BGS", name="办公室", parent=housing)

    def person(email: str, name: str, unit: OrgUnit, rank_code: str = "KY") -> User:
        return UserFactory(email=email, full_name=name, unit=unit, rank_level=rank(rank_code))

    finance_admin = person("fin.admin@example.gov.cn", "财政管理员", finance, "ZKJ")
    housing_admin = person("hou.admin@example.gov.cn", "住建管理员", housing, "ZKJ")
    city_admin = person("city.admin@example.gov.cn", "市级管理员", city, "FCJ")
    discipline = person("jw@example.gov.cn", "纪检员", finance, "ZKJ")
    trainer = person("trainer@example.gov.cn", "培训师", city, "ZKJ")
    role_grant(user=finance_admin, role=Role.UNIT_ADMIN, unit=finance)
    role_grant(user=housing_admin, role=Role.UNIT_ADMIN, unit=housing)
    role_grant(user=city_admin, role=Role.UNIT_ADMIN, unit=city)
    role_grant(user=discipline, role=Role.DISCIPLINE_OFFICER, unit=finance)
    role_grant(user=trainer, role=Role.TRAINER, unit=city)
    superuser = User.objects.create_superuser(
        "root@example.gov.cn", PASSWORD, full_name="超级管理员"
    )
    return Org(
        city=city,
        finance=finance,
        finance_budget=budget,
        housing=housing,
        housing_office=housing_office,
        finance_admin=finance_admin,
        housing_admin=housing_admin,
        city_admin=city_admin,
        discipline=discipline,
        trainer=trainer,
        finance_learner=person("fin.learner@example.gov.cn", "张三丰", finance),
        budget_learner=person("budget.learner@example.gov.cn", "李四", budget, "FKJ"),
        housing_learner=person("hou.learner@example.gov.cn", "王五", housing_office),
        superuser=superuser,
    )


@pytest.fixture
def org(db) -> Org:
    return build_org()


def ensure_reference_data() -> None:
    """Put back what data migrations created and a transactional test's flush removed:
    the default locale, Wagtail's root page and collection, the home page and Site, rank
    levels, discipline categories, the role groups' page permissions and the case
    workflow. Idempotent: a no-op on a freshly migrated database."""
    from importlib import import_module

    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Collection, Locale, Page, Site

    from cases.models import DisciplineCategory
    from cases.workflows import case_workflow_ensure
    from courses.models import StudyRequirement
    from people.models import RankLevel
    from people.services import role_groups_ensure
    from qinglian.models import HomePage
    from quizzes.permissions import trainer_quiz_permissions_ensure

    ContentType.objects.clear_cache()  # the flush re-created content types with new ids
    locale = Locale.objects.first() or Locale.objects.create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    home = HomePage.objects.first() or root.add_child(
        instance=HomePage(title="清廉 · 廉洁教育平台", slug="home", locale=locale)
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={
            "hostname": "localhost",
            "port": 80,
            "root_page": home,
            "site_name": "清廉 Qinglian",
        },
    )
    for order, code, name, leading in import_module(
        "people.migrations.0002_default_rank_levels"
    ).RANKS:
        RankLevel.objects.get_or_create(
            code=code, defaults={"order": order, "name": name, "is_leading": leading}
        )
    for order, code, name, subtypes in import_module(
        "cases.migrations.0002_disciplines"
    ).DISCIPLINES:
        parent, _ = DisciplineCategory.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
        for i, (sub_code, sub_name) in enumerate(subtypes, start=1):
            DisciplineCategory.objects.get_or_create(
                code=sub_code, defaults={"name": sub_name, "order": i, "parent": parent}
            )
    StudyRequirement.objects.get_or_create(
        rank_level=None, defaults={"total_hours": 50, "integrity_hours": 12}
    )
    role_groups_ensure()
    case_workflow_ensure()
    trainer_quiz_permissions_ensure()


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    """pytest-django flushes every table after a transactional test, which takes the
    data-migration rows with it; the next transactional test gets them back here."""
    marker = request.node.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker is not None else {}
    names = request.fixturenames
    if kwargs.get("serialized_rollback") or "django_db_serialized_rollback" in names:
        return  # restored from the serialized copy instead (browser tests do this)
    if kwargs.get("transaction") or "transactional_db" in names:
        request.getfixturevalue("transactional_db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _default_language():
    """A request to an /en/ URL (LocaleMiddleware) or ``translation.activate`` leaves that
    language active in the thread. Start every test in the default language, so that what a
    test sees does not depend on which test ran before it in the same (xdist) process."""
    from django.utils import translation

    translation.deactivate()
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: start every test clean. On Redis only this
    process's keys go (settings.test gives each xdist worker a key prefix): ``clear()``
    would flush the whole DB under the tests another worker is running."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    yield


# --- Real Celery worker (PostgreSQL + Redis run) ----------------------------------------


def broker_configured() -> bool:
    return bool(os.environ.get("CELERY_BROKER_URL"))


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real ``celery worker`` on the configured broker, pointed at the test database.

    Without a broker (the SQLite run) integration tests run with eager Celery instead;
    they are never skipped.
    """
    if not broker_configured():
        yield None
        return
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        pytest.fail("A real Celery worker needs a shared database: set DATABASE_URL to PostgreSQL.")
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "qinglian.settings.test",
        "QINGLIAN_CELERY_EAGER": "0",
        "PYTHONPATH": f"{ROOT / 'site'}:{ROOT}",
    }
    # One worker per pytest process (per xdist worker): it consumes only this process's
    # queue (settings.test CELERY_TASK_DEFAULT_QUEUE) and answers only pings sent to it.
    node = f"pytest-{os.getpid()}@{socket.gethostname()}"
    log = open(Path(tempfile.gettempdir()) / f"qinglian-celery-worker-{os.getpid()}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qinglian",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-n",
            node,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from qinglian.celery_app import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Celery worker exited early; see {log.name}")
        replies = app.control.ping(destination=[node], timeout=1)
        if replies:
            break
    else:
        proc.terminate()
        pytest.fail("Celery worker did not answer a ping within 60 s")
    proc.node = node  # type: ignore[attr-defined]
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def celery_mode(request, celery_worker_process):
    """For ``integration`` tests: route tasks through the real worker when a broker is
    configured (returns "broker"), otherwise run them eagerly (returns "eager")."""
    from qinglian.celery_app import app

    if celery_worker_process is None:
        yield "eager"
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield "broker"
    app.conf.task_always_eager = previous
    # A task the test sent and did not wait for may still be running in the worker when
    # the test's database flush (TRUNCATE of every table) starts: the two then deadlock on
    # table locks. Wait until the queue is empty and the worker idle.
    _worker_wait_idle(app, celery_worker_process.node)


def _worker_wait_idle(app, node: str, timeout: float = 60.0) -> None:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.connection_for_read() as conn:
            try:
                declared = conn.default_channel.queue_declare(queue=queue, passive=True)
            except ChannelError:  # Redis keeps no key for an empty queue
                waiting = 0
            else:
                waiting = declared.message_count
        inspect = app.control.inspect(destination=[node], timeout=2, limit=1)
        busy = sum(len(tasks) for tasks in (inspect.active() or {}).values())
        busy += sum(len(tasks) for tasks in (inspect.reserved() or {}).values())
        if not waiting and not busy:
            return
        time.sleep(0.1)
    pytest.fail(f"The Celery worker {node} was still busy {timeout:.0f} s after the test")
