"""Fixtures for the events tests (shared by every test file here; add a fixture only
your own files use to those files, not here).

``campaign``: this year's education month for the whole test city (``org.city``).
``event``: a lecture of that campaign for the city, run by ``org.trainer``, starting in an
hour (check-in opens 30 minutes before, late after 10 minutes, 2 study hours).
"""

from __future__ import annotations

import pytest

from events.factories import CampaignFactory, EventFactory


@pytest.fixture
def campaign(org):
    return CampaignFactory(audience_unit=org.city, created_by=org.city_admin)


@pytest.fixture
def event(org, campaign):
    return EventFactory(campaign=campaign, audience_unit=org.city, trainer=org.trainer)
