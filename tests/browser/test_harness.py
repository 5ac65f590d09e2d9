"""The browser harness checks what it claims to check."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import assert_accessible

pytestmark = pytest.mark.browser

BAD_PAGE = """<!DOCTYPE html><html><head><title></title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#bbb;background:#fff">faint text</p>
<form><input type="text" name="q"></form>
<a href="/x"></a>
</body></html>"""


def test_assert_accessible_fails_and_lists_the_violations(page: Page, server: str) -> None:
    # ``server`` keeps this test with the other live-server tests (same database handling).
    page.set_content(BAD_PAGE)
    with pytest.raises(pytest.fail.Exception) as excinfo:
        assert_accessible(page)
    report = str(excinfo.value)
    for rule in ("html-has-lang", "image-alt", "color-contrast", "label", "link-name"):
        assert rule in report, report
