"""Memory of the streamed CSV export: ``python -m bench.export_memory``.

Loads a patient with 500 use entries and one with 50,000 (``--small``, ``--large``) into a
database of its own, ``mitra_export_bench`` (or ``$BENCH_DATABASE_URL``), then streams each
one's ``/…/export/use.csv`` response (``journals.exports.csv_response``, as the API and the
pages serve it) to nowhere, and prints for each: the Python heap's peak during the stream
(``tracemalloc``), the process's peak RSS, the bytes written and the time.

Each measurement runs in a fresh process (so peak RSS means something): one pass timed, for
its peak RSS, then one under ``tracemalloc`` for the heap's peak. The export is flat when
both of the large patient's peaks are within 1.5 × the small one's (exit status 1 if not):
rows are read with ``.iterator(chunk_size=exports.CHUNK_SIZE)`` and written one line at a
time, so the heap holds two chunks of rows at most (the one being written while the next
is fetched), however long the journal. Measured on 2 busy cores: 526 KiB for 500 entries,
571 KiB for 50,000 (1.08 ×); peak RSS 90.3 MiB for both.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra_export_bench")

from bench import _common  # reads BENCH_DATABASE_URL on import

LIMIT = 1.5


def patient_with_entries(count: int) -> Any:
    from journals.models import UseEntry
    from patients.models import Clinic, PatientProfile, Role, User

    clinic = Clinic.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}")
    user = User.objects.create(email=f"bench-{uuid.uuid4().hex[:8]}@example.org", role=Role.PATIENT)
    PatientProfile.objects.create(user=user, clinic=clinic, timezone="Europe/Berlin")
    start = datetime.now(UTC) - timedelta(minutes=10 * count)
    batch: list[UseEntry] = []
    for index in range(count):
        batch.append(
            UseEntry(
                patient=user,
                taken_at=start + timedelta(minutes=10 * index),
                substance="kratom",
                amount=Decimal("2.500"),
                unit="g",
                form="powder",
                mixed_with="warm_water",
                product="Red Bali",
                reason="pain",
                note="=not a formula" if index % 7 == 0 else "",
            )
        )
        if len(batch) == 5000:
            UseEntry.objects.bulk_create(batch)
            batch = []
    UseEntry.objects.bulk_create(batch)
    return User.objects.select_related("patient_profile").get(pk=user.pk)


def measure(patient_id: str) -> dict[str, float]:
    """In a fresh process: stream once for time and peak RSS, then once under tracemalloc."""
    from journals.interop.csv_io import csv_response
    from patients.models import User

    patient = User.objects.select_related("patient_profile").get(pk=patient_id)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    written = sum(len(chunk) for chunk in csv_response(patient=patient, kind="use"))
    elapsed = time.perf_counter() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    tracemalloc.start()
    for _chunk in csv_response(patient=patient, kind="use"):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "heap_peak_kib": peak / 1024,
        "rss_growth_kib": float(rss_growth),
        "rss_kib": float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "csv_kib": written / 1024,
        "seconds": elapsed,
    }


def measure_in_child(patient_id: str) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.export_memory", "--child", patient_id],
        check=True,
        capture_output=True,
        text=True,
        cwd=_common.ROOT,
        env=os.environ,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    _common.configure(broker="memory://")
    if args.child:
        import django

        django.setup()
        print(json.dumps(measure(args.child)))
        return 0
    _common.database_create()
    import django

    django.setup()
    _common.database_ready()
    patients = {count: patient_with_entries(count) for count in (args.small, args.large)}
    _common.analyze()
    figures = {count: measure_in_child(str(p.pk)) for count, p in patients.items()}
    for count, figure in figures.items():
        print(
            f"{count:>7,} entries: heap peak {figure['heap_peak_kib']:7.1f} KiB, "
            f"peak RSS {figure['rss_kib'] / 1024:6.1f} MiB (+{figure['rss_growth_kib']:6.0f} KiB "
            f"while streaming), {figure['csv_kib']:8.1f} KiB of CSV in {figure['seconds']:.2f} s"
        )
    ratio = figures[args.large]["heap_peak_kib"] / figures[args.small]["heap_peak_kib"]
    rss_ratio = figures[args.large]["rss_kib"] / figures[args.small]["rss_kib"]
    flat = ratio <= LIMIT and rss_ratio <= LIMIT
    verdict = (
        f"ratios large/small: heap peak {ratio:.2f}, peak RSS {rss_ratio:.2f} "
        f"({'flat' if flat else 'NOT flat'}: limit {LIMIT})"
    )
    print(verdict)
    rows = [
        [
            f"{count:,}",
            f"{figure['heap_peak_kib']:.0f}",
            f"{figure['rss_kib'] / 1024:.1f}",
            f"{figure['csv_kib']:,.0f}",
            f"{figure['seconds']:.2f}",
        ]
        for count, figure in figures.items()
    ]
    _common.report_section(
        "export",
        "Streamed CSV export of one patient's use entries (`python -m bench.export_memory`), "
        "each size in a fresh process:\n\n"
        + _common.table(["entries", "heap peak KiB", "peak RSS MiB", "CSV KiB", "seconds"], rows)
        + f"\n\n{'Met' if flat else 'MISSED'}: {verdict}.",
    )
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
