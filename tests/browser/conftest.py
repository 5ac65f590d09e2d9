"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
``live_server``; every page a test visits is checked with axe-core (WCAG 2.0/2.1 A + AA).

Facts this file relies on (see ../shared/design/STACK.md, "Browser tests"):

- Playwright never downloads a browser here: we launch ``/usr/bin/chromium`` (Debian's
  package, installed by ``make test``). If it is missing the tests fail, they never skip.
- Playwright's sync API runs an event loop in the main thread, so Django's async-safety
  guard has to be told that synchronous ORM calls from the test thread are fine.
- The database flush after each live-server test also deletes Wagtail's root page, the
  home page, the default Site, the rank levels and the role groups' permissions. Every
  browser test therefore uses serialized rollback (the migrated data is restored before
  it), ``site_tree`` rebuilds whatever is still missing (``--no-migrations`` runs), and
  the migrated data is put back after the last browser test for the tests that follow.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

# Must be set before any Django code runs inside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page

CHROMIUM = os.environ.get("QINGLIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    # Never resolve outside hosts: the tests only talk to the live server.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

_axe = Axe()
_SETTLE_ANIMATIONS = """() => {
  const finite = document.getAnimations().filter(
    (a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity
  );
  const timeout = new Promise((resolve) => setTimeout(resolve, 3000));
  return Promise.race([Promise.all(finite.map((a) => a.finished.catch(() => null))), timeout]);
}"""


def chromium_path() -> str:
    """Debian's Chromium, or a loud failure that says how to install it."""
    path = shutil.which(CHROMIUM) or CHROMIUM
    if not Path(path).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Browser tests never skip: run `make test` "
            "(it installs the Debian package) or `sudo apt-get install -y chromium`.",
            pytrace=False,
        )
    return path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (``-m "not browser"`` deselects them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- Playwright on Debian's Chromium ------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": DESKTOP, "locale": "zh-CN"}


# --- axe-core ------------------------------------------------------------------------------

# URLs (without fragment) that ``assert_accessible`` checked, per page object.
_checked: dict[int, set[str]] = {}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core with the WCAG 2.0/2.1 A and AA rules; return the violations."""
    page.wait_for_load_state("load")
    # Let fade-ins and transitions end: axe measures contrast on the colours it sees, and
    # a message half-way through fading in (Wagtail's, for one) looks low-contrast.
    page.evaluate(_SETTLE_ANIMATIONS)
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    return results.response["violations"]


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:10]:
            target = ", ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def no_sideways_scroll(page: Page) -> None:
    """The page fits the phone viewport: nothing scrolls sideways."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px"


def assert_accessible(page: Page) -> None:
    """Fail, listing every violation, unless axe-core finds 0 WCAG 2.0/2.1 A/AA problems."""
    url = urldefrag(page.url).url
    violations = axe_violations(page)
    _checked.setdefault(id(page), set()).add(url)
    if violations:
        pytest.fail(format_violations(url, violations), pytrace=False)


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """pytest-playwright's page, plus a guard: every URL the page navigated to must have
    been checked with ``assert_accessible`` by the end of the test."""
    page = context.new_page()
    page.set_default_timeout(10_000)  # fail fast: every page here is local
    visited: list[str] = []

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame and frame.url.startswith("http"):
            visited.append(urldefrag(frame.url).url)

    page.on("framenavigated", on_navigated)
    yield page
    # Stop the page before the database is flushed: a request still in flight would
    # otherwise re-create rows (content types) after the flush and break the next test's
    # serialized rollback.
    page.goto("about:blank")
    page.close()
    checked = _checked.pop(id(page), set())
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.passed:
        missed = [url for url in dict.fromkeys(visited) if url not in checked]
        if missed:
            pytest.fail(
                "Pages visited but not checked with assert_accessible(page): " + ", ".join(missed),
                pytrace=False,
            )


# --- Database: Wagtail tree, site, reference data ----------------------------------------


def ensure_site_tree() -> None:
    """Whatever the live-server flush removed (see ``tests.conftest.ensure_reference_data``)."""
    from tests.conftest import ensure_reference_data

    ensure_reference_data()


@pytest.fixture
def site_tree(transactional_db: None) -> None:
    """The reference data (Wagtail tree, Site, rank levels, disciplines, groups…) for a
    live-server test. pytest-django flushes the database after each one; the flush
    re-creates content types and permissions, and this puts back the rest."""
    ensure_site_tree()


@pytest.fixture(scope="package", autouse=True)
def _reference_data_after_browser_tests(django_db_blocker: Any) -> Iterator[None]:
    """Leave the database as migrations left it for the transactional tests that
    pytest-django runs after these."""
    yield
    with django_db_blocker.unblock():
        ensure_site_tree()


@pytest.fixture
def org(site_tree: None) -> Any:
    """The shared test organisation (tests/conftest.py), built after the site tree."""
    from tests.conftest import build_org

    return build_org()


@pytest.fixture
def server(live_server: Any, site_tree: None) -> str:
    """The live server's base URL, with the site tree in place."""
    return live_server.url


# --- Logging in ----------------------------------------------------------------------------


def login_with_form(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in allauth's login form on the current page and submit it."""
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").first.click()


@pytest.fixture
def login_as(context: BrowserContext, server: str) -> Callable[[Any], None]:
    """Log a user in without visiting a page: a session from Django's test client, handed
    to the browser as its session cookie."""
    from django.conf import settings
    from django.test import Client

    def _login(user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": server}]
        )

    return _login
