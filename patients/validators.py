from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    """Accept IANA zone names only (``Europe/Berlin``), not abbreviations or offsets."""
    if value not in _iana_zones():
        raise ValidationError(
            "Enter an IANA time zone name such as Europe/Berlin.", code="invalid_timezone"
        )
