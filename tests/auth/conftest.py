from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """The clock stopped at now; ``frozen.shift(...)`` moves it. A test module that needs a
    fixed moment defines its own."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller
