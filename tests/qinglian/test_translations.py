"""The zh_Hans and en catalogues are complete: every translatable string in the code is
in them, and none is missing or fuzzy in Chinese."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "manage.py",
    "site",
    "people",
    "templates",
    "locale",
    "courses",
    "cases",
    "quizzes",
    "notifications",
    "events",
    "talks",
    "audit",
    "certificates",
    "dashboard",
]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    """Run makemessages on a copy of the sources, so the check sees exactly what the code
    asks for today without touching the working tree."""
    work = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        elif src.exists():
            shutil.copy(src, work / name)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "en",
            "--no-obsolete",
            "-v0",
        ],
        cwd=work,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "qinglian.settings.test"},
    )
    return work / "locale"


def test_chinese_catalogue_is_complete(fresh_catalogues):
    po = polib.pofile(str(fresh_catalogues / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"
    assert len(po) > 50


def test_english_catalogue_exists_and_is_not_fuzzy(fresh_catalogues):
    po = polib.pofile(str(fresh_catalogues / "en" / "LC_MESSAGES" / "django.po"))
    assert po.fuzzy_entries() == []
    # English msgids are the English text; plural entries need both forms filled.
    for entry in po:
        if entry.msgid_plural:
            assert all(entry.msgstr_plural.values()), entry.msgid


def test_committed_catalogue_compiles_and_translates(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("People") == "人员"
        assert translation.gettext("Skip to main content") == "跳到主要内容"
    with translation.override("en"):
        assert translation.gettext("People") == "People"
