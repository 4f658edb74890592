"""Reminder delivery at scale: ``python -m bench.reminders`` (``make bench-reminders``).

Loads 100,000 patients over every IANA time zone into a database of its own (mitra_bench,
or $BENCH_DATABASE_URL), then measures

1. one dispatcher run, ``reminders_dispatch(now=…)``: at the minute of the day when the
   most reminders fall due (picked from the data), at a quiet minute, and a catch-up run
   with an empty delivery table (30 minutes of reminders at once, as after a beat outage);
   wall time, rows created, SQL queries and time, and where the time goes. Publishing the
   send messages is timed apart (it happens after the commit, and scales with the rows);
2. how many sends a second one worker completes: a real ``celery worker`` process, prefork
   with one child and then solo, on Redis (and on RabbitMQ when it answers), writing emails
   to files, draining the deliveries the dispatcher created.

Options: ``--patients N``, ``--sends N`` (0: no send test), ``--no-rabbitmq``, ``--profile``
(cProfile of the busy run), ``--reuse`` (keep the people and entries a run of the same day
loaded: saves the load while iterating on the dispatcher). Redis: $BENCH_REDIS_URL.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time as clock
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
QUEUE = "mitra-bench-reminders"  # never the default queue other workers on a broker read
OUTSIDE_SAMPLE = "bench: outside the send sample"
SEED = 20261126
DISPATCH_GOAL_MS = 2_000  # issue #8: one run over 100,000 patients
DISPATCH_HEADERS = [
    "dispatcher run",
    "now (UTC)",
    "due in window",
    "due this minute",
    "rows created",
    "wall ms",
    "queries",
]

EVENING_TIMES = [time(19), time(20), time(20, 30), time(21), time(21, 30), time(22)]
MORNING_TIMES = [time(7), time(7, 30), time(8), time(8, 30), time(9)]


def zones() -> list[str]:
    return sorted(
        name for name in available_timezones() if not name.startswith(("posix/", "right/"))
    )


# --- Data ----------------------------------------------------------------------------------


def clinics_create(count: int) -> list[int]:
    from patients.models import Clinic

    return [
        c.pk
        for c in Clinic.objects.bulk_create(
            [Clinic(name=f"Bench clinic {i}") for i in range(count)]
        )
    ]


def people_load(*, patients: int, clinicians: int, at: datetime) -> dict[str, int]:
    """Users, profiles and reminder settings, by COPY. 40 % saved settings (varied times,
    some reminders off), 60 % the defaults; 1 % inactive; clinicians for the digests."""
    rng = random.Random(SEED)  # noqa: S311 (bench data, not security)
    names = zones()
    clinic_ids = clinics_create(20)
    users: list[tuple[Any, ...]] = []
    profiles: list[tuple[Any, ...]] = []
    settings_rows: list[tuple[Any, ...]] = []
    for i in range(patients):
        pk = uuid.uuid4()
        joined = at - timedelta(days=60)
        users.append(
            (
                "!",
                False,
                pk,
                f"patient-{i:06d}@bench.invalid",
                "patient",
                f"Patient {i}",
                rng.random() > 0.01,
                False,
                joined,
            )
        )
        profiles.append((pk, names[i % len(names)], clinic_ids[i % len(clinic_ids)]))
        if rng.random() < 0.4:
            quiet = (time(23), time(7)) if rng.random() < 0.7 else (time(22), time(6))
            settings_rows.append(
                (
                    pk,
                    rng.random() < 0.9,
                    rng.choice(EVENING_TIMES),
                    rng.random() < 0.85,
                    rng.choice(MORNING_TIMES),
                    *quiet,
                    rng.random() < 0.9,
                    at,
                )
            )
    clinician_rows = []
    for i in range(clinicians):
        pk = uuid.uuid4()
        users.append(
            (
                "!",
                False,
                pk,
                f"clinician-{i:04d}@bench.invalid",
                "clinician",
                f"Clinician {i}",
                True,
                False,
                at - timedelta(days=400),
            )
        )
        clinician_rows.append(
            (pk, "", clinic_ids[i % len(clinic_ids)], True, names[(i * 7) % len(names)])
        )
    user_cols = (
        "password",
        "is_superuser",
        "id",
        "email",
        "role",
        "display_name",
        "is_active",
        "is_staff",
        "date_joined",
    )
    return {
        "users": _common.copy_rows("patients_user", user_cols, users),
        "patient profiles": _common.copy_rows(
            "patients_patientprofile", ("user_id", "timezone", "clinic_id"), profiles
        ),
        "reminder settings": _common.copy_rows(
            "journals_remindersettings",
            (
                "patient_id",
                "evening_enabled",
                "evening_time",
                "morning_enabled",
                "morning_time",
                "quiet_start",
                "quiet_end",
                "follow_up_enabled",
                "updated_at",
            ),
            settings_rows,
        ),
        "clinician profiles": _common.copy_rows(
            "patients_clinicianprofile",
            ("user_id", "title", "clinic_id", "digest_enabled", "timezone"),
            clinician_rows,
        ),
    }


def entries_load(*, busy: datetime) -> dict[str, int]:
    """Journal rows around the busy minute, so "already logged" is decided on real rows:
    35 % logged pain earlier that day, 85 % on each of the three days before, 70 % each of
    the last three nights; 5 % logged nothing for those days (they get the follow-up)."""
    from patients.models import PatientProfile

    rng = random.Random(SEED + 1)  # noqa: S311
    pain: list[tuple[Any, ...]] = []
    sleep: list[tuple[Any, ...]] = []
    for pk, zone_name in PatientProfile.objects.values_list("user_id", "timezone").iterator(
        chunk_size=10_000
    ):
        if rng.random() < 0.05:
            continue
        zone = ZoneInfo(zone_name)
        moments = []
        if rng.random() < 0.35:  # already logged today
            moments.append(busy - timedelta(minutes=rng.randint(60, 14 * 60)))
        moments += [
            busy - timedelta(days=days, minutes=rng.randint(-180, 180))
            for days in (1, 2, 3)
            if rng.random() < 0.85
        ]
        for at in moments:
            pain.append((uuid.uuid4(), "", at, at, at, rng.randint(0, 10), "[]", pk))
        today = busy.astimezone(zone).date()
        for back in (1, 2, 3):
            if rng.random() < 0.7:
                night = today - timedelta(days=back)
                bed = datetime.combine(night, time(23), tzinfo=zone)
                wake = bed + timedelta(hours=7, minutes=30)
                sleep.append(
                    (
                        uuid.uuid4(),
                        "",
                        wake,
                        wake,
                        night,
                        bed,
                        bed + timedelta(minutes=15),
                        20,
                        1,
                        15,
                        wake,
                        wake + timedelta(minutes=15),
                        rng.randint(1, 5),
                        pk,
                    )
                )
    return {
        "pain entries": _common.copy_rows(
            "journals_painentry",
            (
                "id",
                "note",
                "created_at",
                "updated_at",
                "recorded_at",
                "intensity",
                "locations",
                "patient_id",
            ),
            pain,
        ),
        "sleep entries": _common.copy_rows(
            "journals_sleepentry",
            (
                "id",
                "note",
                "created_at",
                "updated_at",
                "night_of",
                "bedtime",
                "lights_out_at",
                "sleep_onset_latency_min",
                "awakenings",
                "wake_after_sleep_onset_min",
                "final_wake_at",
                "rise_at",
                "quality",
                "patient_id",
            ),
            sleep,
        ),
    }


# --- When reminders fall due ---------------------------------------------------------------


def due_per_minute(day: date) -> Counter[datetime]:
    """How many patient reminders fall due at each UTC minute of ``day``: enabled, outside
    quiet hours (what the dispatcher's time test lets through, before "already logged")."""
    from django.db.models import Count

    from journals.models import in_quiet_hours
    from journals.reminders.due import due_instant, patient_settings

    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    per_minute: Counter[datetime] = Counter()
    fields = [
        "timezone", "evening_time", "evening_enabled", "morning_time", "morning_enabled",
        "quiet_start", "quiet_end",
    ]  # fmt: skip
    groups = patient_settings().values(*fields).annotate(n=Count("pk"))
    for g in groups:
        zone = ZoneInfo(g["timezone"])
        for clock_at, on in (
            (g["evening_time"], g["evening_enabled"]),
            (g["morning_time"], g["morning_enabled"]),
        ):
            if not on or in_quiet_hours(clock_at, g["quiet_start"], g["quiet_end"]):
                continue
            for local_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
                at = due_instant(local_day, clock_at, zone)
                if start <= at < end:
                    per_minute[at] += g["n"]
    return per_minute


def in_window(per_minute: Counter[datetime], now: datetime) -> int:
    from journals.reminders.dispatch import CATCH_UP

    return sum(n for at, n in per_minute.items() if now - CATCH_UP < at <= now)


# --- Measuring the dispatcher --------------------------------------------------------------

PHASES = {
    "deliveries_recover": "recover",
    "patients_due": "patients",
    "clinicians_due": "clinicians",
    "deliveries_create": "create",
    "deliveries_expire": "expire",
    "deliveries_enqueue": "enqueue",
}


class Probe:
    """Times each step of ``reminders_dispatch`` and the SQL under it, and keeps the ids it
    hands out (the service returns them; its task would publish them, timed on its own)."""

    def __init__(self) -> None:
        from journals.reminders import dispatch

        self.phases: dict[str, float] = {}
        self.sql_s = 0.0
        self.queries = 0
        self.ids: list[Any] = []
        for name in PHASES:  # the dispatcher calls each step by its name in its own module
            setattr(dispatch, name, self._timed(name, getattr(dispatch, name)))

    def _timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clock.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.phases[name] = self.phases.get(name, 0.0) + clock.perf_counter() - started

        return timed

    def _sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = clock.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql_s += clock.perf_counter() - started
            self.queries += 1

    def run(self, now: datetime, *, profile: bool = False) -> dict[str, Any]:
        from django.db import connection

        from journals.reminders.dispatch import reminders_dispatch

        self.phases, self.sql_s, self.queries = {}, 0.0, 0
        self.ids.clear()
        profiler = cProfile.Profile() if profile else None
        with connection.execute_wrapper(self._sql):
            started = clock.perf_counter()
            if profiler:
                profiler.enable()
            result = reminders_dispatch(now=now)
            self.ids.extend(result.to_send)
            if profiler:
                profiler.disable()
            wall = clock.perf_counter() - started
        report = {
            "wall_s": wall,
            "queries": self.queries,
            "sql_s": self.sql_s,
            "created": result.created,
            "enqueued": result.enqueued,
            "phases": dict(self.phases),
            "ids": list(self.ids),
        }
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            report["profile"] = out.getvalue()
        return report


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    started = clock.perf_counter()
    yield box
    box.append(clock.perf_counter() - started)


# --- Measuring one worker ------------------------------------------------------------------


def sample_take(count: int) -> int:
    """Keep ``count`` patient deliveries for the send test; set the rest aside as failed."""
    from journals.models import Delivery, DeliveryStatus, ReminderKind

    keep = list(
        Delivery.objects.exclude(kind=ReminderKind.DIGEST)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:count]
    )
    Delivery.objects.exclude(pk__in=keep).update(
        status=DeliveryStatus.FAILED, failed_at=datetime.now(UTC), last_error=OUTSIDE_SAMPLE
    )
    return len(keep)


def sample_reset() -> list[Any]:
    """The sample back to pending, as the dispatcher leaves it; returns its ids."""
    from journals.models import Delivery, DeliveryStatus

    sample = Delivery.objects.exclude(last_error=OUTSIDE_SAMPLE)
    sample.update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        sending_at=None,
        lease_expires_at=None,
        sent_at=None,
        failed_at=None,
        last_error="",
        enqueued_at=datetime.now(UTC),
    )
    return list(sample.values_list("pk", flat=True))


def throughput(
    *, env: dict[str, str], broker: str, pool: str, work: Path, seconds: float
) -> dict[str, Any]:
    """One worker drains the sample, or works on it for ``seconds``: rows finished a second,
    counted from the first publish."""
    from django.db.models import Count

    from config.celery import app
    from journals.models import Delivery, DeliveryStatus
    from journals.reminders.tasks import deliveries_send_on_commit

    mail_dir = work / f"mail-{pool}-{broker.split(':')[0]}"
    mail_dir.mkdir()
    ids = sample_reset()
    app.control.purge()
    worker = _common.Worker(
        env=env,
        name=f"bench-{pool}",
        pool=pool,
        concurrency=1,
        mail_dir=mail_dir,
        log_dir=work,
        queue=QUEUE,
    ).start()
    try:
        worker.wait_ready(app)
        unfinished = Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        started = clock.perf_counter()
        deliveries_send_on_commit(ids)  # outside a transaction: publishes at once
        published = clock.perf_counter() - started
        while unfinished.exists() and clock.perf_counter() - started < seconds:
            clock.sleep(0.25)
        elapsed = clock.perf_counter() - started
        finished = len(ids) - unfinished.count()
    finally:
        worker.stop()
        app.control.purge()  # what was not sent: the broker may be shared
    statuses = dict(
        Delivery.objects.exclude(last_error=OUTSIDE_SAMPLE)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    figure = {
        "broker": broker.split(":")[0],
        "pool": pool,
        "deliveries": len(ids),
        "finished": finished,
        "publish_s": published,
        "elapsed_s": elapsed,
        "per_s": finished / elapsed,
        "statuses": statuses,
        "emails": len(_common.mail_messages(mail_dir)),
    }
    print(
        f"  {figure['broker']} {pool}: {finished:,} of {len(ids):,} finished in "
        f"{elapsed:.1f} s, {figure['per_s']:.1f} sends/s",
        flush=True,
    )
    return figure


def throughput_all(*, broker: str, pools: list[str], seconds: float) -> list[dict[str, Any]]:
    env = _common.configure(broker=broker)  # the bench process already set the same
    work = Path(tempfile.mkdtemp(prefix="mitra-bench-"))
    try:
        return [
            throughput(env=env, broker=broker, pool=pool, work=work, seconds=seconds)
            for pool in pools
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rabbitmq_figures(seconds: float) -> list[dict[str, Any]]:
    """The same sample on RabbitMQ, in a child process (one broker per Celery app)."""
    out = Path(tempfile.mkstemp(prefix="mitra-bench-", suffix=".json")[1])
    try:
        child = subprocess.run(  # noqa: S603
            [
                *(sys.executable, "-m", "bench.reminders", "--sends-only", RABBITMQ_URL),
                *("--send-seconds", str(seconds), "--json", str(out)),
            ],
            cwd=_common.ROOT,
            check=False,
        )
        if child.returncode:
            print(f"  amqp: the child run failed ({child.returncode})")
            return []
        return list(json.loads(out.read_text()))
    finally:
        out.unlink(missing_ok=True)


# --- The run -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--clinicians", type=int, default=300)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument(
        "--send-seconds", type=float, default=90.0, help="longest a worker works on the sample"
    )
    parser.add_argument("--no-rabbitmq", action="store_true")
    parser.add_argument(
        "--dispatch-only",
        action="store_true",
        help="the dispatcher runs alone (no sends), checked against issue #8's 2 s and "
        "written to docs/PERFORMANCE.md",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the busy run")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data an earlier run loaded today"
    )
    parser.add_argument("--sends-only", metavar="BROKER", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dispatch_only:
        args.sends, args.no_rabbitmq = 0, True

    if args.sends_only:  # child run: the sample is already in the database
        _common.configure(broker=args.sends_only)
        import django

        django.setup()
        _queue_set()
        figures = throughput_all(
            broker=args.sends_only, pools=["prefork", "solo"], seconds=args.send_seconds
        )
        Path(args.json).write_text(json.dumps(figures, default=str))
        return 0

    _common.configure(broker=REDIS_URL)
    _common.database_create()
    import django

    django.setup()
    _queue_set()
    from config.celery import app
    from journals.models import Delivery
    from journals.reminders.tasks import deliveries_send_on_commit

    print(
        f"database {_common.DATABASE_URL}, broker {REDIS_URL}, queue {QUEUE}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    today = datetime.now(UTC).date()
    reuse = args.reuse and reusable(patients=args.patients, today=today)
    with timer() as t_migrate:
        if reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)  # a new index, say; the rows stay
        else:
            _common.database_ready()
    loaded: dict[str, int] = {}
    with timer() as t_people:
        if not reuse:
            loaded = people_load(
                patients=args.patients,
                clinicians=args.clinicians,
                at=datetime.combine(today, time(), tzinfo=UTC),
            )
            _common.analyze()
    per_minute = due_per_minute(today)
    busy = max(per_minute, key=lambda at: (per_minute[at], -at.timestamp()))
    day_start = datetime.combine(today, time(), tzinfo=UTC)
    minutes = [day_start + timedelta(minutes=m) for m in range(1, 24 * 60)]
    quiet = min(
        (m for m in minutes if abs(m - busy) > timedelta(hours=2)),
        key=lambda m: (in_window(per_minute, m), m),
    )
    with timer() as t_entries:
        if not reuse:
            loaded |= entries_load(busy=busy)
            _common.analyze()
    print(
        "reusing the data loaded earlier today"
        if reuse
        else f"loaded in {t_people[0] + t_entries[0]:.1f} s (migrate {t_migrate[0]:.1f} s): "
        + ", ".join(f"{n:,} {what}" for what, n in loaded.items())
    )
    print(
        f"{len(zones())} zones; busy minute {busy:%H:%M} UTC ({per_minute[busy]:,} due then,"
        f" {in_window(per_minute, busy):,} in its 30-minute window); quiet minute "
        f"{quiet:%H:%M} UTC ({per_minute[quiet]:,} due, "
        f"{in_window(per_minute, quiet):,} in its window)"
    )

    probe = Probe()
    minute = timedelta(minutes=1)
    # Each scenario starts from an empty delivery table: a catch-up run (30 minutes of
    # reminders at once, as after a beat outage), then the run a minute later, as the beat
    # makes it. The busy one goes last: its rows are the send sample.
    runs = [
        ("quiet minute, catch-up (empty table)", quiet - minute, False),
        ("quiet minute (beat every minute)", quiet, False),
        ("busy minute, catch-up (empty table)", busy - minute, args.profile),
        ("busy minute (beat every minute)", busy, False),
        ("busy minute, same minute again", busy, False),
    ]
    dispatch_rows = []
    handed_out: list[Any] = []
    profile_text = ""
    for label, now, profile in runs:
        if "empty table" in label:
            Delivery.objects.all().delete()
        report = probe.run(now, profile=profile)
        if now in (busy - minute, busy):
            handed_out += report["ids"]
        profile_text = report.get("profile", profile_text)
        dispatch_rows.append(
            (
                label,
                f"{now:%H:%M}",
                f"{in_window(per_minute, now):,}",
                f"{per_minute[now]:,}",
                f"{report['created']:,}",
                f"{report['wall_s'] * 1000:,.0f}",
                report["queries"],
                f"{report['sql_s'] * 1000:,.0f}",
                " ".join(f"{PHASES[p]} {s * 1000:.0f}" for p, s in report["phases"].items()),
            )
        )
    doubled = doubled_days()

    app.control.purge()
    with timer() as t_publish:
        deliveries_send_on_commit(handed_out)  # outside a transaction: publishes at once
    purged = app.control.purge()
    print()
    print(
        _common.table(
            [*DISPATCH_HEADERS, "SQL ms", "ms by step"],
            dispatch_rows,
        )
    )
    print(
        f"\npublishing {len(handed_out):,} send messages to Redis (one connection): "
        f"{t_publish[0]:.2f} s, {len(handed_out) / max(t_publish[0], 1e-9):,.0f} msg/s "
        f"({purged:,} purged afterwards)"
    )
    busy_wall = next(r for r in dispatch_rows if r[0].startswith("busy minute ("))[5]
    print(
        f"issue #8 target, one run over {args.patients:,} patients under 2 s: "
        f"busy minute {busy_wall} ms"
    )
    print(
        f"people with two reminders on one local date (an evening one and a follow-up): "
        f"{doubled:,}{'  <- see bench/README.md' if doubled else ''}"
    )
    if profile_text:
        print("\ncProfile of the catch-up run (cumulative):\n" + profile_text)

    if args.dispatch_only:
        slowest = max(float(row[5].replace(",", "")) for row in dispatch_rows)
        met = slowest < DISPATCH_GOAL_MS
        verdict = (
            f"{'Met' if met else 'MISSED'}: the slowest run took {slowest:,.0f} ms "
            f"(goal: under {DISPATCH_GOAL_MS:,} ms for {args.patients:,} patients)."
        )
        print(verdict)
        _common.report_section(
            "dispatcher",
            f"The reminder dispatcher over {args.patients:,} patients in all {len(zones())} "
            "time zones (`python -m bench.reminders --dispatch-only`), load average "
            f"{os.getloadavg()[0]:.1f} at the end:\n\n"
            + _common.table(
                DISPATCH_HEADERS, [row[: len(DISPATCH_HEADERS)] for row in dispatch_rows]
            )
            + f"\n\n{verdict}",
        )
        return 0 if met else 1
    if not args.sends:
        print(f"\nload average now {os.getloadavg()[0]:.1f} (the machine may be shared)")
        return 0
    sample = sample_take(args.sends)
    print(f"\nsend test: {sample:,} deliveries of {Delivery.objects.count():,}")
    figures = throughput_all(broker=REDIS_URL, pools=["prefork", "solo"], seconds=args.send_seconds)
    if not args.no_rabbitmq and _common.rabbitmq_up():
        figures += rabbitmq_figures(args.send_seconds)
    print(f"\nload average now {os.getloadavg()[0]:.1f} (the machine may be shared)")
    print(
        _common.table(
            [
                "broker",
                "pool",
                "finished / sample",
                "publish s",
                "worked s",
                "sends/s",
                "statuses after",
                "emails written",
            ],
            [
                (
                    f["broker"],
                    f["pool"],
                    f"{f['finished']:,} / {f['deliveries']:,}",
                    f"{f['publish_s']:.2f}",
                    f"{f['elapsed_s']:.1f}",
                    f"{f['per_s']:.1f}",
                    " ".join(f"{k} {v}" for k, v in sorted(f["statuses"].items())),
                    f["emails"],
                )
                for f in figures
            ],
        )
    )
    return 0


def reusable(*, patients: int, today: date) -> bool:
    """The database holds the people of a run for as many patients, loaded today (the
    entries sit around that day's busy minute)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('patients_patientprofile') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
    from journals.models import ReminderSettings
    from patients.models import PatientProfile

    first = ReminderSettings.objects.order_by("updated_at").values_list("updated_at", flat=True)
    loaded_at = first.first()
    return (
        PatientProfile.objects.count() == patients
        and loaded_at is not None
        and loaded_at.date() == today
    )


def doubled_days() -> int:
    """(person, local date) pairs with more than one patient reminder: the follow-up takes
    the evening reminder's place, so there should be none."""
    from django.db.models import Count

    from journals.models import Delivery, ReminderKind

    return (
        Delivery.objects.exclude(kind=ReminderKind.DIGEST)
        .exclude(kind=ReminderKind.MORNING)
        .values("recipient_id", "local_date")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )


def _queue_set() -> None:
    """Send on a queue of our own: a shared broker's default queue belongs to others."""
    from config.celery import app

    app.conf.task_default_queue = QUEUE


if __name__ == "__main__":
    sys.exit(main())
