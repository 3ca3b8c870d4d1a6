"""The one clock. Everything asks `now()`; tests move it with time-machine.

Also the small set of zone helpers every layer needs, so time zone rules live
in one place: wall times are stored with an IANA zone and UTC is computed.
"""

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones


def now() -> datetime:
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> datetime:
    """`moment` as wall time in `zone_name`."""
    return moment.astimezone(ZoneInfo(zone_name))
