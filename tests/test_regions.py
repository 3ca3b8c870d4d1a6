"""Countries and time zones people recognise: short lists, their own country's first, any real place findable."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coordinator.errors import Invalid
from coordinator.extensions import db
from coordinator.models import Circle, User
from coordinator.regions import (
    country_choices,
    current_zone,
    is_place_zone,
    zone_choices,
    zone_find,
    zone_place,
    zone_search_names,
)
from tests.factories import PASSWORD, add_member, make_circle, make_user

BARE_CODE = re.compile(r"^[A-Z]{2} \(")


def test_countries_are_named_the_hosts_first_then_the_common_few_then_a_to_z():
    choices = country_choices("US")
    labels = [c.label for c in choices]
    assert labels[:3] == ["United States (+1)", "Canada (+1)", "United Kingdom (+44)"]
    rest = [c for c in choices if c.group == "All countries"]
    assert [c.label for c in rest][:3] == ["Afghanistan (+93)", "Åland Islands (+358)", "Albania (+355)"]
    assert not any(BARE_CODE.match(label) for label in labels)
    assert "AC" not in {c.value for c in choices} and "TA" not in {c.value for c in choices}
    assert {"France (+33)", "North Macedonia (+389)", "Isle of Man (+44)", "Kosovo (+383)"} <= set(labels)
    assert len(labels) == len(set(c.value for c in choices))
    assert country_choices("GB")[0].label == "United Kingdom (+44)"


def test_the_zone_list_is_short_and_the_circles_own_country_comes_first():
    us = zone_choices("US")
    assert len(us) < 30
    assert [c.label for c in us[:7]] == [
        "Eastern Time (New York)",
        "Central Time (Chicago)",
        "Mountain Time (Denver)",
        "Arizona (Phoenix)",
        "Pacific Time (Los Angeles)",
        "Alaska (Anchorage)",
        "Hawaii (Honolulu)",
    ]
    assert {c.group for c in us[:7]} == {"United States"} and us[7].group == "Other places"
    assert "UK (London)" in [c.label for c in us[7:]]
    assert not any("/" in c.label or "_" in c.label for c in us)
    assert zone_choices("GB")[0].label == "UK (London)"
    assert [c.label for c in zone_choices("CA")[:3]] == [
        "Newfoundland (St. John's)",
        "Atlantic Time (Halifax)",
        "Eastern Time (Toronto)",
    ]
    assert zone_choices("DE")[0].label == "Berlin, Germany"


def test_a_zone_chosen_before_stays_offered_and_an_old_alias_shows_as_its_place():
    assert zone_choices("US", current="Europe/Lisbon")[0].label == "Lisbon, Portugal"
    assert [c.value for c in zone_choices("US", current="US/Eastern")] == [c.value for c in zone_choices("US")]
    assert current_zone("US/Eastern") == "America/New_York" and current_zone("Mars/Base") is None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Paris", "Europe/Paris"),
        ("Europe/Paris", "Europe/Paris"),
        ("  europe/PARIS ", "Europe/Paris"),
        ("Central Europe (Paris, Berlin)", "Europe/Paris"),
        ("Eastern Time (New York)", "America/New_York"),
        ("new york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Lisbon, Portugal", "Europe/Lisbon"),
        ("Knox, Indiana, United States", "America/Indiana/Knox"),
        ("Berlin", "Europe/Berlin"),
        ("Delhi", "Asia/Kolkata"),
        ("France", "Europe/Paris"),
        ("PST", "America/Los_Angeles"),
        ("UK", "Europe/London"),
    ],
)
def test_a_place_is_found_however_it_is_typed(typed, zone):
    assert zone_find(typed, region="US") == zone


def test_a_name_two_countries_share_goes_to_the_circles_country():
    assert zone_find("Eastern Time", region="US") == "America/New_York"
    assert zone_find("Eastern Time", region="CA") == "America/Toronto"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("US/Eastern", "“US/Eastern” is an old name. Choose Eastern Time (New York) instead."),
        ("Africa/Timbuktu", "“Africa/Timbuktu” is an old name we no longer use. Type the nearest big city"),
        ("Etc/GMT+5", "“Etc/GMT+5” is a time offset, not a place."),
        ("UTC", "“UTC” is a time offset, not a place."),
        ("EST5EDT", "“EST5EDT” isn't a place."),
        ("United States", "United States has several time zones."),
        (
            "Mars/Olympus_Mons",
            "We couldn't find “Mars/Olympus_Mons”. Type the nearest big city, like Chicago or Paris.",
        ),
        ("x" * 200, "Type the nearest big city"),
        ("Paris\x00", "Type the nearest big city"),
    ],
)
def test_old_odd_and_unknown_zones_are_refused_with_a_message(typed, message):
    with pytest.raises(Invalid) as refused:
        zone_find(typed, region="US")
    assert message in refused.value.message


def test_the_search_suggests_every_real_place_by_city_and_country_and_nothing_retired():
    names = zone_search_names()
    assert 400 < len(names) < 450
    assert "Paris, France" in names and "Buenos Aires, Argentina" in names
    assert not any("/" in name or "_" in name for name in names)
    assert not any(name.startswith(("Timbuktu", "Eastern,", "GMT")) for name in names)
    assert zone_place("America/Indiana/Knox") == "Knox, Indiana, United States"


# ---- On the forms: starting a circle and a member's preferences ------------------------------------


def _select(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)


def test_the_new_circle_page_offers_friendly_names_and_a_search_for_any_place(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    html = client.get("/circles/new").get_data(as_text=True)
    zones, countries = _select(html, "timezone"), _select(html, "phone_region")
    assert zones.count("<option") < 30
    assert '<option value="America/New_York" selected>Eastern Time (New York)</option>' in zones
    assert "Timbuktu" not in html and "US/Eastern" not in html
    assert countries.index("United States (+1)") < countries.index("Afghanistan (+93)")
    assert '<option selected value="US">United States (+1)</option>' in countries
    assert "AC (+247)" not in html
    assert '<option value="Paris, France">' in html and 'list="timezone-places"' in html
    assert "Eastern Time (New York) · United States (+1)" in html


def test_a_city_typed_on_the_new_circle_form_sets_the_zone(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    data = {"for_whom": "self", "timezone": "America/New_York", "timezone-other": "Paris", "phone_region": "FR"}
    assert client.post("/circles/new", data).status_code == 302
    circle = db.session.scalar(select(Circle))
    assert (circle.timezone, circle.phone_region) == ("Europe/Paris", "FR")


def test_an_old_zone_name_typed_is_refused_and_kept_for_correcting(client):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    data = {"for_whom": "self", "name": "Team Maria", "timezone": "America/Chicago", "timezone-other": "US/Eastern"}
    response = client.post("/circles/new", data | {"phone_region": "US"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is an old name. Choose Eastern Time (New York) instead." in html
    assert 'value="US/Eastern"' in html and 'aria-invalid="true"' in html
    assert '<details class="circle-where" open>' in html
    assert db.session.scalar(select(Circle)) is None
    listed = client.post("/circles/new", data | {"timezone-other": "", "timezone": "Africa/Timbuktu"})
    assert listed.status_code == 422 and "Choose a time zone from the list." in listed.get_data(as_text=True)


def test_a_members_zone_list_starts_with_the_circles_country_and_takes_a_typed_city(client):
    coordinator, sam = make_user(), make_user(name="Sam Carter", phone="+447700900123")
    circle = make_circle(coordinator=coordinator, timezone="Europe/London")
    circle.phone_region = "GB"
    db.session.commit()
    add_member(circle, sam)
    client.sign_in(sam.email, PASSWORD)
    url = f"/circles/{circle.id}/preferences"
    page = client.get(url).get_data(as_text=True)
    zones = _select(page, "timezone")
    assert re.search(r"<option[^>]*>([^<]*)</option>", zones).group(1) == "UK (London)"
    assert '<option value="Europe/London" selected>' in zones
    data = {"timezone": "Europe/London", "timezone-other": "chicago", "sms_enabled": "y", "asks_per_week": "3"}
    data |= {"quiet_start": "21:00", "quiet_end": "08:00"}
    saved = client.post(url, data)
    assert saved.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', saved.get_data(as_text=True))
    assert db.session.get(User, sam.id).timezone == "America/Chicago"
    refused = client.post(url, data | {"timezone-other": "Etc/GMT-1"})
    assert refused.status_code == 422 and "is a time offset, not a place" in refused.get_data(as_text=True)


@settings(max_examples=300, deadline=None, database=None)
@given(typed=st.one_of(st.text(max_size=100), st.sampled_from(sorted(available_timezones()))))
def test_whatever_is_typed_gives_a_real_place_or_a_message(typed):
    try:
        found = zone_find(typed, region="US")
    except Invalid as refused:
        assert refused.message
    else:
        assert is_place_zone(found)
