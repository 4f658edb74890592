from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine

from tests.journals.helpers import NOW


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    """The clock stands still at ``helpers.NOW`` (2026-04-02 12:00 UTC)."""
    with time_machine.travel(NOW, tick=False):
        yield NOW
