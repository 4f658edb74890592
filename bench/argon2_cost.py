"""How long one sign-in spends in the password hasher: ``python bench/argon2_cost.py [N]``.

Hashes a password once with the project's first hasher (settings.PASSWORD_HASHERS), then
times N calls of ``check_password`` and prints the median, the spread and the parameters.
Run it on the machine that serves Mitra: the 100–300 ms target is for that machine.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.auth.hashers import check_password, get_hasher, make_password  # noqa: E402


def main() -> int:
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    runs = int(numbers[0]) if numbers else 21
    hasher = get_hasher()
    password = "a sign-in password of some length"  # noqa: S105
    encoded = make_password(password)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        assert check_password(password, encoded)  # noqa: S101
        timings.append((time.perf_counter() - started) * 1000)
    params = {
        name: getattr(hasher, name)
        for name in ("time_cost", "memory_cost", "parallelism")
        if hasattr(hasher, name)
    }
    summary = (
        f"{type(hasher).__name__} {params}: median {statistics.median(timings):.1f} ms "
        f"over {runs} sign-ins (min {min(timings):.1f}, max {max(timings):.1f})"
    )
    print(summary)
    if "--report" in sys.argv:
        from bench._common import report_section

        report_section(
            "argon2",
            "The password check of one sign-in (`python bench/argon2_cost.py`), one core: "
            f"{summary}. Sign-ins a second through the whole server are in the HTTP table.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
