"""Countries and time zones in the words people use, for the forms that ask for them.

A circle needs a country (to read phone numbers typed without +1 or +44) and a
time zone (so texts wait out the night where people live). What is stored stays
what the rest of the service reads: a region code ("US") and an IANA zone name
("America/New_York"). This module only names them and finds them again from
what someone types: "Paris", "Europe/Paris", "Eastern Time (New York)".

The data comes from two pinned packages, read on first use (never at import):
phonenumbers (the countries with a numbering plan and their English names) and
tzdata's zone.tab (the zones that name real places today, each with its
country). Old names kept only for compatibility (US/Eastern, Africa/Timbuktu,
Etc/GMT+5) are refused with a message, because a place keeps its daylight-saving
rules and an offset or an alias does not say which place is meant.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import phonenumbers
from phonenumbers import geocoder

from coordinator.clock import is_known_zone
from coordinator.errors import Invalid

# Countries most circles are in, listed right after the host's own.
COMMON_COUNTRIES = ("US", "CA", "GB", "IE", "AU", "NZ")
# Names phonenumbers lacks or words in an older or odd way.
COUNTRY_NAMES = {
    "XK": "Kosovo",
    "BL": "Saint Barthélemy",
    "MF": "Saint Martin (French part)",
    "EH": "Western Sahara",
    "MK": "North Macedonia",
    "SZ": "Eswatini",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "TL": "Timor-Leste",
}
# Ascension Island and Tristan da Cunha have their own dialling codes but are not countries
# (they are part of Saint Helena); a number with its + code is read right without them.
NOT_COUNTRIES = frozenset({"AC", "TA"})
NEAREST_CITY = "Type the nearest big city, like Chicago or Paris."
OFFSETS = frozenset({"utc", "gmt", "uct", "zulu", "universal", "greenwich", "z"})
_SMALL_WORDS = {"And": "and", "Of": "of", "The": "the"}


@dataclass(frozen=True)
class Friendly:
    """A zone under the name people know it by: "Eastern Time (New York)"."""

    zone: str
    region: str
    name: str
    cities: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.cities})"


FRIENDLY = [
    Friendly("America/New_York", "US", "Eastern Time", "New York"),
    Friendly("America/Chicago", "US", "Central Time", "Chicago"),
    Friendly("America/Denver", "US", "Mountain Time", "Denver"),
    Friendly("America/Phoenix", "US", "Arizona", "Phoenix"),
    Friendly("America/Los_Angeles", "US", "Pacific Time", "Los Angeles"),
    Friendly("America/Anchorage", "US", "Alaska", "Anchorage"),
    Friendly("Pacific/Honolulu", "US", "Hawaii", "Honolulu"),
    Friendly("America/St_Johns", "CA", "Newfoundland", "St. John's"),
    Friendly("America/Halifax", "CA", "Atlantic Time", "Halifax"),
    Friendly("America/Toronto", "CA", "Eastern Time", "Toronto"),
    Friendly("America/Winnipeg", "CA", "Central Time", "Winnipeg"),
    Friendly("America/Regina", "CA", "Saskatchewan", "Regina"),
    Friendly("America/Edmonton", "CA", "Mountain Time", "Edmonton"),
    Friendly("America/Vancouver", "CA", "Pacific Time", "Vancouver"),
    Friendly("America/Puerto_Rico", "PR", "Atlantic Time", "Puerto Rico"),
    Friendly("Europe/London", "GB", "UK", "London"),
    Friendly("Europe/Dublin", "IE", "Ireland", "Dublin"),
    Friendly("Europe/Paris", "FR", "Central Europe", "Paris, Berlin"),
    Friendly("Europe/Athens", "GR", "Eastern Europe", "Athens, Helsinki"),
    Friendly("Asia/Jerusalem", "IL", "Israel", "Jerusalem"),
    Friendly("Asia/Kolkata", "IN", "India", "Delhi, Mumbai"),
    Friendly("Asia/Manila", "PH", "Philippines", "Manila"),
    Friendly("Asia/Shanghai", "CN", "China", "Beijing, Shanghai"),
    Friendly("Asia/Tokyo", "JP", "Japan", "Tokyo"),
    Friendly("Australia/Sydney", "AU", "Eastern Australia", "Sydney, Melbourne"),
    Friendly("Australia/Brisbane", "AU", "Queensland", "Brisbane"),
    Friendly("Australia/Adelaide", "AU", "Central Australia", "Adelaide"),
    Friendly("Australia/Perth", "AU", "Western Australia", "Perth"),
    Friendly("Pacific/Auckland", "NZ", "New Zealand", "Auckland"),
    Friendly("America/Mexico_City", "MX", "Central Mexico", "Mexico City"),
    Friendly("America/Sao_Paulo", "BR", "Brazil", "São Paulo"),
    Friendly("Africa/Johannesburg", "ZA", "South Africa", "Johannesburg"),
    Friendly("Africa/Lagos", "NG", "West Africa", "Lagos"),
]
_FRIENDLY = {f.zone: f for f in FRIENDLY}
# What Americans and Britons call their zones; accepted when typed.
ABBREVIATIONS = {
    "America/New_York": "ET EST EDT",
    "America/Chicago": "CT CST CDT",
    "America/Denver": "MT MST MDT",
    "America/Los_Angeles": "PT PST PDT",
    "America/Anchorage": "AKST AKDT",
    "Pacific/Honolulu": "HST",
    "Europe/London": "BST",
}
# The short list everyone sees after their own country's zones.
ELSEWHERE = (
    "America/New_York America/Chicago America/Denver America/Los_Angeles Europe/London "
    "Europe/Dublin Europe/Paris Europe/Athens Asia/Jerusalem Asia/Kolkata Asia/Manila Asia/Shanghai Asia/Tokyo "
    "Australia/Sydney Pacific/Auckland America/Mexico_City America/Sao_Paulo Africa/Johannesburg"
).split()


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str


def _fold(text: str) -> str:
    """How typed names are compared: no accents, case, underscores or extra spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.replace("_", " ").casefold().split()).strip(" .,")


# ---- Countries ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names = {}
    for region in phonenumbers.SUPPORTED_REGIONS - NOT_COUNTRIES:
        example = phonenumbers.example_number(region)
        name = COUNTRY_NAMES.get(region) or (geocoder.country_name_for_number(example, "en") if example else "")
        if name:
            names[region] = " ".join(_SMALL_WORDS.get(word, word) if i else word for i, word in enumerate(name.split()))
    return names


def is_country(region: str) -> bool:
    return region in _country_names()


def country_name(region: str) -> str:
    """ "GB" -> "United Kingdom"; a code we can't name comes back as it is."""
    return _country_names().get(region, region)


def country_label(region: str) -> str:
    """ "GB" -> "United Kingdom (+44)", as the country list shows it."""
    return f"{country_name(region)} (+{phonenumbers.country_code_for_region(region)})"


def country_choices(first: str = "US") -> list[Choice]:
    """Every country with a phone numbering plan: `first` and the common few, then the rest A to Z."""
    names = _country_names()
    top = [r for r in dict.fromkeys((first, *COMMON_COUNTRIES)) if r in names]
    rest = sorted((r for r in names if r not in top), key=lambda r: _fold(names[r]))
    return [Choice(r, country_label(r), "Most used") for r in top] + [
        Choice(r, country_label(r), "All countries") for r in rest
    ]


# ---- Time zones -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Every zone that names a place today (tzdata's zone.tab), with its country's code."""
    text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows}


@lru_cache(maxsize=1)
def _old_names() -> dict[str, str]:
    """Compatibility names (US/Eastern, Asia/Calcutta) -> the zone they stand for today."""
    text = (resources.files("tzdata.zoneinfo") / "tzdata.zi").read_text(encoding="utf-8")
    links = (line.split() for line in text.splitlines() if line.startswith("L "))
    return {link[2]: link[1] for link in links if len(link) == 3}


def is_place_zone(name: str) -> bool:
    """A zone that names a real place today: not an alias, an offset (Etc/...) or a retired name."""
    return name in _places()


def zone_place(name: str) -> str:
    """ "Europe/Paris" -> "Paris, France"; "America/Indiana/Knox" -> "Knox, Indiana, United States"."""
    region = _places().get(name)
    country = country_name(region) if region else ""
    parts = [part.replace("_", " ") for part in name.split("/")[1:]][::-1]
    return ", ".join([part for part in parts if part != country] + ([country] if country else [])) or name


def zone_choice_label(name: str) -> str:
    """How a list names a zone: "Eastern Time (New York)" for the well-known ones, else "Lisbon, Portugal"."""
    friendly = _FRIENDLY.get(name)
    return friendly.label if friendly else zone_place(name)


def current_zone(name: str | None) -> str | None:
    """A stored zone as a place zone: an old alias becomes the zone it stands for; None if neither."""
    if not name:
        return None
    if is_place_zone(name):
        return name
    target = _old_names().get(name)
    return target if target and is_place_zone(target) else None


def region_zones(region: str) -> list[str]:
    """The zones to list first for a country: its well-known ones, or every zone it has."""
    known = [f.zone for f in FRIENDLY if f.region == region]
    return known or sorted((z for z, r in _places().items() if r == region), key=zone_place)


def zone_choices(region: str, current: str | None = None) -> list[Choice]:
    """A short list: the country's own zones, then a few common ones; `current` kept if it is elsewhere."""
    own = region_zones(region)
    listed = own + [z for z in ELSEWHERE if z not in own]
    current = current_zone(current)
    choices = [Choice(current, zone_choice_label(current), "")] if current and current not in listed else []
    choices += [Choice(z, zone_choice_label(z), country_name(region)) for z in own]
    return choices + [Choice(z, zone_choice_label(z), "Other places") for z in listed[len(own) :]]


@lru_cache(maxsize=1)
def zone_search_names() -> tuple[str, ...]:
    """What the search box suggests as someone types: every place, "City, Country", A to Z."""
    return tuple(sorted((zone_place(z) for z in _places()), key=_fold))


@lru_cache(maxsize=1)
def _zone_index() -> dict[str, list[str]]:
    """Folded words someone might type -> the zones they could mean, best first."""
    index: dict[str, list[str]] = {}

    def add(key: str, zone: str) -> None:
        found = index.setdefault(_fold(key), [])
        if zone not in found:
            found.append(zone)

    for zone in _places():
        add(zone, zone)
        add(zone_place(zone), zone)
        add(zone.rsplit("/", 1)[-1], zone)
    for friendly in FRIENDLY:  # after the cities, so "Berlin" is Berlin and not Paris
        for key in (friendly.label, friendly.name, friendly.name.removesuffix(" Time"), *friendly.cities.split(", ")):
            add(key, friendly.zone)
    for zone, words in ABBREVIATIONS.items():
        for word in words.split():
            index[_fold(word)] = [zone]
    regions: dict[str, list[str]] = {}
    for zone, region in _places().items():
        regions.setdefault(region, []).append(zone)
    for region, zones in regions.items():
        if len(zones) == 1:  # "France" means Paris; "United States" could mean six zones
            add(country_name(region), zones[0])
    return index


def zone_find(text: str, *, region: str | None = None, field: str | None = None) -> str:
    """The place zone someone means by `text` ("Paris", "Europe/Paris", "Eastern Time (New York)").

    Where a name fits several zones ("Eastern Time"), the one in `region` wins.
    Anything else is Invalid with a message saying what to type instead.
    """
    typed = " ".join((text or "").split())
    if len(typed) > 80 or any(ord(ch) < 32 for ch in typed):
        raise Invalid(NEAREST_CITY, field=field)
    zones = _zone_index().get(_fold(typed), [])
    if zones:
        return next((z for z in zones if _places()[z] == region), zones[0])
    shown = typed if len(typed) <= 40 else typed[:39] + "…"
    old = next((zone for name, zone in _old_names().items() if _fold(name) == _fold(typed)), None)
    if _fold(typed) in OFFSETS or _fold(typed).startswith(("etc/", "utc+", "utc-", "gmt+", "gmt-")):
        raise Invalid(
            f"“{shown}” is a time offset, not a place. {NEAREST_CITY} Then clock changes are handled for you.",
            field=field,
        )
    if old in _FRIENDLY:
        raise Invalid(f"“{shown}” is an old name. Choose {zone_choice_label(old)} instead.", field=field)
    if old:
        raise Invalid(f"“{shown}” is an old name we no longer use. {NEAREST_CITY}", field=field)
    if is_known_zone(typed):
        raise Invalid(f"“{shown}” isn't a place. {NEAREST_CITY}", field=field)
    if _fold(typed) in {_fold(country_name(r)) for r in set(_places().values())}:
        raise Invalid(f"{shown} has several time zones. {NEAREST_CITY}", field=field)
    raise Invalid(f"We couldn't find “{shown}”. {NEAREST_CITY}", field=field)
