from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError


@cache
def region_zones() -> tuple[str, ...]:
    """IANA names of places (``Area/Location``) and UTC, sorted. Legacy abbreviations (EST,
    CET, EST5EDT) and ``Etc/`` offsets are left out: a fixed offset ignores the daylight
    saving time of where the person lives, so their days and reminders would drift."""
    return tuple(
        sorted(
            name
            for name in available_timezones()
            if name == "UTC"
            or ("/" in name and not name.startswith(("Etc/", "posix/", "right/", "SystemV/")))
        )
    )


def _zone_named_after(place: str) -> str | None:
    """The one zone whose place is ``place`` ("london" → Europe/London), else None."""
    wanted = place.strip().replace(" ", "_").lower()
    found = [name for name in region_zones() if name.rpartition("/")[2].lower() == wanted]
    return found[0] if len(found) == 1 else None


def validate_timezone(value: str) -> None:
    """Accept IANA zone names of places only (``Europe/Berlin``), not abbreviations or
    offsets; a city's name alone gets the zone's full name suggested."""
    if value in region_zones():
        return
    message = "Enter an IANA time zone name such as Europe/Berlin."
    if suggestion := _zone_named_after(value):
        message += f" Did you mean {suggestion}?"
    raise ValidationError(message, code="invalid_timezone")
