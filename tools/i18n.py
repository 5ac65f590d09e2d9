"""Catalogue upkeep for translators (the zh_Hans catalogue must be complete; see
tests/qinglian/test_translations.py).

    .venv/bin/python tools/i18n.py todo [OUT.json]   # makemessages, then list what needs a
                                                    # Chinese translation (fuzzy guesses are
                                                    # cleared: makemessages guesses wrongly)
    .venv/bin/python tools/i18n.py apply IN.json    # {msgid: msgstr or [singular, plural]}
                                                    # into zh_Hans; English plurals filled

Then ``make messages`` compiles the catalogues.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def makemessages() -> None:
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "en",
            "--ignore=.venv",
            "--ignore=tests",
            "--ignore=bench",
            "--ignore=tools",
            "--ignore=media",
            "--ignore=staticfiles",
            "--no-obsolete",
            "-v0",
        ],
        cwd=ROOT,
        check=True,
    )


def _key(entry: polib.POEntry) -> str:
    """The translation file's key: the msgid, prefixed by ``context|`` when there is one."""
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def todo(out: Path) -> None:
    makemessages()
    po = polib.pofile(str(ZH))
    items = []
    for entry in po:
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            entry.msgstr = ""
            entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
        if not entry.translated():
            items.append(
                {
                    "key": _key(entry),
                    "msgid": entry.msgid,
                    "plural": entry.msgid_plural,
                    "context": entry.msgctxt,
                    "where": [f"{path}:{line}" for path, line in entry.occurrences[:3]],
                }
            )
    po.save()
    en = polib.pofile(str(EN))
    for entry in en:
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.msgstr = ""
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    en.save()
    out.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(items)} entries need Chinese; listed in {out}")


def apply(source: Path) -> None:
    translations = json.loads(source.read_text(encoding="utf-8"))
    po = polib.pofile(str(ZH))
    done = missing = 0
    for entry in po:
        value = translations.get(_key(entry))
        if value is None:
            if not entry.translated():
                missing += 1
            continue
        if entry.msgid_plural:
            text = value[0] if isinstance(value, list) else value
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = value if isinstance(value, str) else value[0]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        done += 1
    po.save()
    print(f"applied {done}; still untranslated: {missing}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "todo"
    if command == "todo":
        todo(Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "i18n_todo.json")
    elif command == "apply":
        apply(Path(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
