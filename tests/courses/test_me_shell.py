"""The site shell for logged-in people: "My learning", the course catalogue, the
honesty-talk library, assignments for unit admins, notifications with the unread count;
at most one query added per request."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

LIST = "/notifications/"


def test_header_links_for_a_learner_and_a_unit_admin(client, org, course_tree) -> None:
    client.force_login(org.finance_learner)
    html = client.get(LIST).content.decode()
    nav = html[html.index('class="site-nav"') : html.index("</nav>")]
    assert 'href="/me/"' in nav
    assert f'href="{course_tree.index.url}"' in nav
    assert f'href="{course_tree.talk_index.url}"' in nav
    assert 'href="/notifications/"' in html
    try:
        assignments = reverse("assignments:list")
    except NoReverseMatch:
        assignments = None
    if assignments:
        assert f'href="{assignments}"' not in nav  # learners assign nothing
        client.force_login(org.finance_admin)
        html = client.get(LIST).content.decode()
        assert (
            f'href="{assignments}"' in html[html.index('class="site-nav"') : html.index("</nav>")]
        )


def test_the_shell_adds_at_most_one_query(
    rf, org, course_tree, django_assert_max_num_queries
) -> None:
    """The navigation URLs come from the cache; the unread count comes from the cache or
    one COUNT, evaluated once however often the template reads it; the role lookup was
    there before."""
    from notifications.context_processors import notifications
    from qinglian.context_processors import site_shell

    request = rf.get("/")
    request.user = org.finance_admin
    site_shell(request)  # warm the cache
    request = rf.get("/")
    request.user = org.finance_admin
    with django_assert_max_num_queries(2):  # role lookup (cached on the user) + COUNT
        shell = site_shell(request)
        unread = notifications(request)["notifications_unread"]
        assert unread() == 0 and unread() == 0
    assert shell["nav_courses"] == course_tree.index.url
    assert shell["nav_talks"] == course_tree.talk_index.url


def test_anonymous_visitors_get_no_personal_links(client, db) -> None:
    html = client.get("/accounts/login/").content.decode()
    nav = html[html.index('class="site-nav"') : html.index("</nav>")]
    assert 'href="/me/"' not in nav
    assert 'href="/notifications/"' not in html
