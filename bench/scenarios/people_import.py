"""Importing 10,000 people from a CSV (parse + validate + write, all-or-nothing) against
parsing the same file without saving.

The file is realistic: GBK-free UTF-8 with BOM, Chinese headers and names, people spread
over eight units, every rank level; 1,000 rows update people who already exist, 9,000
create new ones. Each import runs in a transaction that is rolled back at the end, so every
repetition starts from the same database.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bench.harness import Scenario, count_queries, count_writes, peak_memory_bytes

ROWS = 10_000
EXISTING = 1_000
UNIT_CODES = [f"BIMP-{i}" for i in range(1, 9)]
RANK_CODES = ["KY", "FKJ", "ZKJ", "FCJ", "ZCJ", "FTJ", "ZTJ"]


class _Rollback(Exception):
    pass


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def setup() -> dict[str, Any]:
    from people.factories import UserFactory, rank, unit_create
    from people.models import Role, User
    from people.services import role_grant

    root = unit_create(code="BIMP", name="基准导入局")
    units = [unit_create(code=code, name=f"基准科室{code[-1]}", parent=root) for code in UNIT_CODES]
    admin = UserFactory(
        email="bench.import.admin@example.gov.cn",
        full_name="导入管理员",
        unit=root,
        rank_level=rank("ZKJ"),
        employee_number="BIMP-ADMIN",
    )
    role_grant(user=admin, role=Role.UNIT_ADMIN, unit=root)

    existing = []
    for i in range(EXISTING):
        person = User(
            email=f"bench.person{i}@example.gov.cn",
            full_name=f"旧名{i}",
            employee_number=f"BN{i:06d}",
            unit=units[i % len(units)],
        )
        person.set_unusable_password()
        existing.append(person)
    User.objects.bulk_create(existing, batch_size=500)

    header = ["工号", "姓名", "邮箱", "单位代码", "职务", "职级"]
    rows = [
        [
            f"BN{i:06d}",
            f"测试人员{i}",
            f"bench.person{i}@example.gov.cn",
            UNIT_CODES[i % len(UNIT_CODES)],
            "科员" if i % 3 else "副科长",
            RANK_CODES[i % len(RANK_CODES)],
        ]
        for i in range(ROWS)
    ]
    data = _csv([header, *rows])

    state: dict[str, Any] = {"admin": admin, "data": data, "name": "people-10k.csv"}
    # Sanity check once: the file is valid and would create 9,000 and update 1,000.
    outcome = _import(state)
    assert (outcome.created, outcome.updated) == (ROWS - EXISTING, EXISTING), outcome
    return state


def _parse(state: dict[str, Any]) -> Any:
    from people.importing import file_parse

    return file_parse(name=state["name"], data=state["data"])


def _import(state: dict[str, Any]) -> Any:
    """Parse, validate and write every row in one transaction, then roll it all back."""
    from django.db import transaction

    from people.importing import records_import

    parsed = _parse(state)
    outcome = None
    try:
        with transaction.atomic():
            # The admin is re-read as a request would; their scope cache starts empty.
            admin = type(state["admin"]).objects.get(pk=state["admin"].pk)
            outcome = records_import(viewer=admin, records=parsed.records)
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def subject(state: dict[str, Any]) -> None:
    _import(state)


def baseline(state: dict[str, Any]) -> None:
    _parse(state)


def counters(state: dict[str, Any]) -> dict[str, Any]:
    from people.models import User

    before = User.objects.count()
    result = {
        "rows": ROWS,
        "file_bytes": len(state["data"]),
        "queries": count_queries(_import, state),
        "writes": count_writes(_import, state),
        "peak_mem_mb": round(peak_memory_bytes(_import, state) / 2**20, 1),
        "baseline_queries": count_queries(_parse, state),
    }
    assert User.objects.count() == before, "the import was not rolled back"
    return result


SCENARIO = Scenario(
    name="people_import_10k",
    description="import 10,000 people from CSV (9,000 new, 1,000 updated; rolled back) "
    "vs parsing the same file",
    setup=setup,
    subject=subject,
    baseline=baseline,
    counters=counters,
    target_ratio=None,
    pairs=5,
)
