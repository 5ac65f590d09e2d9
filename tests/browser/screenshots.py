"""Screenshots of the main pages for a human to look at: desktop (1280x900) and phone
(360x740), Chinese and English: home page, login page, people list (as a unit admin),
Wagtail admin dashboard (as a trainer). Each shot is also checked with axe-core and for
sideways scrolling, and the findings are printed.

Self-contained (a fresh temporary database with the test organisation, served in-process)::

    .venv/bin/python tests/browser/screenshots.py

Against a running server with demo data (``make demo``)::

    .venv/bin/python tests/browser/screenshots.py --base-url http://127.0.0.1:8000 \\
        --unit-admin-email ... --trainer-email ... --password ...

PNGs go to /tmp/shots/ (``--out`` to change).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (str(ROOT), str(ROOT / "site")):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinglian.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
LANGUAGES = {"zh": "", "en": "/en"}


@contextmanager
def local_server() -> Iterator[str]:
    """A fresh database with the test organisation, served by a thread in this process."""
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    from bench.run import FreshDatabase
    from tests.browser.conftest import ensure_site_tree
    from tests.conftest import build_org

    with FreshDatabase():
        ensure_site_tree()
        build_org()
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={}, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.terminate()


def set_admin_language(email: str, language: str) -> None:
    """Self-contained mode only: the Wagtail admin follows the user's preferred language."""
    from wagtail.users.models import UserProfile

    from people.models import User

    user = User.objects.get(email=email)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en" if language == "en" else "zh-hans"
    profile.save()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Take screenshots of the main pages.")
    parser.add_argument("--base-url", help="a running server (default: start one in-process)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--unit-admin-email", default="fin.admin@example.gov.cn")
    parser.add_argument("--trainer-email", default="trainer@example.gov.cn")
    parser.add_argument("--password", default=PASSWORD)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.base_url:
        return shoot(args.base_url.rstrip("/"), args, self_contained=False)
    with local_server() as url:
        return shoot(url, args, self_contained=True)


def shoot(base: str, args: argparse.Namespace, *, self_contained: bool) -> int:
    from playwright.sync_api import Page, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, axe_violations, format_violations

    problems: list[str] = []

    def check(page: Page, name: str, viewport: dict[str, int]) -> None:
        path = args.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        violations = axe_violations(page)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        status = "ok"
        if violations:
            problems.append(format_violations(page.url, violations))
            status = f"{len(violations)} axe violation(s)"
        if width > viewport["width"]:
            problems.append(f"{name}: scrolls sideways ({width} px > {viewport['width']} px)")
            status += f", scrollWidth {width}"
        print(f"{path}  {page.url}  {status}")

    def login(page: Page, prefix: str, email: str, next_path: str) -> None:
        page.goto(f"{base}{prefix}/accounts/login/?next={next_path}")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(args.password)
        with page.expect_navigation():
            page.locator("form:has(input[name=password]) [type=submit]").first.click()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang, prefix in LANGUAGES.items():
            for vp_name, viewport in VIEWPORTS.items():
                suffix = f"{lang}-{vp_name}"
                # Anonymous: home page and login page.
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                page.goto(f"{base}{prefix}/")
                check(page, f"home-{suffix}", viewport)
                page.goto(f"{base}{prefix}/accounts/login/")
                check(page, f"login-{suffix}", viewport)
                context.close()

                # Unit admin: home page (logged in) and people list.
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                login(page, prefix, args.unit_admin_email, f"{prefix}/")
                check(page, f"home-unit-admin-{suffix}", viewport)
                page.goto(f"{base}{prefix}/people/")
                check(page, f"people-{suffix}", viewport)
                context.close()

                # Trainer: Wagtail admin dashboard.
                if self_contained:
                    set_admin_language(args.trainer_email, lang)
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                login(page, prefix, args.trainer_email, "/admin/")
                check(page, f"admin-{suffix}", viewport)
                context.close()
        browser.close()

    if problems:
        print("\nProblems found:\n" + "\n\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
