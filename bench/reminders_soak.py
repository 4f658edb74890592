"""Reminder soak (issue #5): ``python -m bench.reminders_soak`` (``make bench-reminders``).

10,000 reminders fall due at once. Two prefork worker processes send them through Django's
file email backend while the dispatcher runs on a real clock; in the middle one worker
child is killed with SIGKILL, and later the broker is stopped and started again, losing
every message it held. At the end, counted against the delivery records and the emails
written: every row ``sent``, exactly one email per row (0 losses), no person given the
same reminder twice (0 duplicates).

The broker is a ``redis-server`` of the soak's own on a free port (never the shared one),
without persistence, so the restart really loses the queue. Timings are shortened, in the
bench process and the workers alike: a send lease of 12 s and a send time limit of 5 s
(settings, from the environment), and the dispatcher runs every 5 s instead of every
minute. ``REQUEUE_AFTER`` (5 minutes in production) is a constant of
journals/reminders/dispatch.py: only the dispatcher reads it, so the soak patches it here, in the
bench process, to 60 s.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time as clock
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common
from bench.reminders import clinics_create, zones

LEASE_S = 12
TIME_LIMIT_S = 5
REQUEUE_AFTER = timedelta(seconds=60)
DISPATCH_EVERY_S = 5.0
KILL_AT = 0.25  # share of rows sent when a worker child is killed
RESTART_AT = 0.5  # … and when the broker is restarted
BROKER_DOWN_S = 6.0  # longer than a dispatcher period: one run finds it down
TIMEOUT_S = 900.0
SEED = 5


class Redis:
    """A throwaway ``redis-server``: no snapshot, no append-only file."""

    def __init__(self, work: Path) -> None:
        self.port = _free_port(6391)
        self.work = work
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", str(self.work)]  # fmt: skip
        log = (self.work / "redis.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        _common.wait_until(self._answers, timeout=10, every=0.05, what="redis-server up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _answers(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", self.port)) != 0:
                return False
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")


def _free_port(start: int) -> int:
    for port in range(start, start + 100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for redis-server")


def patients_due_now(count: int) -> datetime:
    """``count`` patients over every zone whose evening reminder fell due in the last few
    minutes (so the first dispatcher run finds them all); no quiet hours, nothing logged,
    joined an hour ago (so it is the evening reminder, not the follow-up)."""
    rng = random.Random(SEED)  # noqa: S311 (bench data)
    names = zones()
    clinic_ids = clinics_create(5)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    users, profiles, settings_rows = [], [], []
    for i in range(count):
        pk = uuid.uuid4()
        zone = names[i % len(names)]
        at = (now - timedelta(minutes=rng.randint(0, 3))).astimezone(ZoneInfo(zone))
        users.append(("!", False, pk, f"soak-{i:05d}@bench.invalid", "patient", f"Soak {i}",
                      True, False, now - timedelta(hours=1)))  # fmt: skip
        profiles.append((pk, zone, clinic_ids[i % len(clinic_ids)]))
        settings_rows.append((pk, True, at.time(), False, at.time(), at.time(), at.time(),
                              True, now))  # fmt: skip
    _common.copy_rows(
        "patients_user",
        ("password", "is_superuser", "id", "email", "role", "display_name", "is_active",
         "is_staff", "date_joined"),
        users,
    )  # fmt: skip
    _common.copy_rows("patients_patientprofile", ("user_id", "timezone", "clinic_id"), profiles)
    _common.copy_rows(
        "journals_remindersettings",
        ("patient_id", "evening_enabled", "evening_time", "morning_enabled", "morning_time",
         "quiet_start", "quiet_end", "follow_up_enabled", "updated_at"),
        settings_rows,
    )  # fmt: skip
    _common.analyze()
    return now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="children per worker")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mitra-soak-"))
    mail_dir = work / "mail"
    mail_dir.mkdir()
    redis = Redis(work)
    workers: list[_common.Worker] = []
    try:
        redis.start()
        env = _common.configure(
            broker=redis.url,
            extra={
                "REMINDER_SEND_LEASE_SECONDS": str(LEASE_S),
                "REMINDER_SEND_TIME_LIMIT_SECONDS": str(TIME_LIMIT_S),
            },
        )
        _common.database_create()
        import django

        django.setup()
        from config.celery import app
        from journals.models import Delivery, DeliveryStatus
        from journals.reminders import dispatch
        from journals.reminders.tasks import reminders_dispatch_task

        dispatch.REQUEUE_AFTER = REQUEUE_AFTER  # the dispatcher's, in this process only
        _common.database_ready()
        patients_due_now(args.reminders)
        print(f"soak: {args.reminders:,} reminders due, broker {redis.url} (own redis-server), "
              f"database {_common.DATABASE_URL}; lease {LEASE_S} s, time limit {TIME_LIMIT_S} s,"
              f" requeue after {REQUEUE_AFTER.seconds} s, dispatcher every "
              f"{DISPATCH_EVERY_S:.0f} s; {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f}")  # fmt: skip

        workers = [
            _common.Worker(
                env=env, name=f"soak-{n}", pool="prefork", concurrency=args.concurrency,
                mail_dir=mail_dir, log_dir=work,
            ).start()
            for n in (1, 2)
        ]  # fmt: skip
        for worker in workers:
            worker.wait_ready(app)

        sent = Delivery.objects.filter(status=DeliveryStatus.SENT)
        unfinished = Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        totals: Counter[str] = Counter()
        events: list[str] = []
        dispatch_failures = 0
        killed = restarted = False
        started = clock.monotonic()
        next_dispatch = started

        def log(what: str) -> None:
            line = f"{clock.monotonic() - started:6.1f} s  {what}"
            events.append(line)
            print(line, flush=True)

        while True:
            now = clock.monotonic()
            if now >= next_dispatch:
                try:
                    result = SimpleNamespace(
                        **reminders_dispatch_task()
                    )  # publishes what it hands out
                except Exception as exc:  # the broker is down: rows wait for the requeue
                    dispatch_failures += 1
                    log(f"dispatcher: publishing failed ({type(exc).__name__})")
                else:
                    totals.update(vars(result))
                    if result.created or result.recovered or result.enqueued:
                        log(f"dispatcher: {result.created:,} created, {result.enqueued:,} "
                            f"handed out, {result.recovered:,} recovered")  # fmt: skip
                next_dispatch = now + DISPATCH_EVERY_S
            done = sent.count()
            if not killed and done >= KILL_AT * args.reminders:
                victim = workers[0].children()[0]
                os.kill(victim, signal.SIGKILL)
                killed = True
                log(f"kill -9 of worker child {victim} ({done:,} sent)")
            if killed and not restarted and done >= RESTART_AT * args.reminders:
                redis.stop()
                log(f"broker stopped, every queued message lost ({done:,} sent)")
                clock.sleep(BROKER_DOWN_S)
                redis.start()
                restarted = True
                log("broker started again, empty")
            if restarted and not unfinished.exists() and Delivery.objects.exists():
                break
            if now - started > TIMEOUT_S:
                log("timed out")
                break
            clock.sleep(0.5)
        elapsed = clock.monotonic() - started
        log(f"all rows finished: {sent.count():,} sent")
        for worker in workers:
            worker.stop()
        return report(
            expected=args.reminders, mail_dir=mail_dir, elapsed=elapsed, totals=totals,
            dispatch_failures=dispatch_failures,
        )  # fmt: skip
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(
    *,
    expected: int,
    mail_dir: Path,
    elapsed: float,
    totals: Counter[str],
    dispatch_failures: int,
) -> int:
    from django.db.models import Count

    from journals.models import Delivery, DeliveryStatus

    rows = {str(pk): (str(to), kind) for pk, to, kind in
            Delivery.objects.values_list("pk", "recipient__email", "kind")}  # fmt: skip
    statuses = dict(
        Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    attempts = dict(
        Delivery.objects.values_list("attempts")
        .annotate(n=Count("pk"))
        .values_list("attempts", "n")
    )
    messages = _common.mail_messages(mail_dir)
    per_row: Counter[str] = Counter()
    per_person_kind: Counter[tuple[str, str]] = Counter()
    unknown = 0
    for message in messages:
        key = str(message["Message-ID"]).strip("<>").split("@")[0].removeprefix("delivery-")
        if key not in rows:
            unknown += 1
            continue
        per_row[key] += 1
        per_person_kind[(str(message["To"]), str(message["Subject"]))] += 1
    duplicates = sum(n - 1 for n in per_person_kind.values() if n > 1)
    duplicate_rows = sum(n - 1 for n in per_row.values() if n > 1)
    losses = sum(1 for key in rows if per_row[key] == 0)
    sent = statuses.get(DeliveryStatus.SENT, 0)
    ok = (
        len(rows) == expected
        and sent == expected
        and duplicates == 0
        and duplicate_rows == 0
        and losses == 0
        and unknown == 0
    )
    print()
    print(_common.table(
        ["figure", "value"],
        [
            ("delivery rows", f"{len(rows):,} (expected {expected:,})"),
            ("statuses", ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items()))),
            ("attempts per row", ", ".join(f"{k}: {v:,}" for k, v in sorted(attempts.items()))),
            ("emails written", f"{len(messages):,}"),
            ("duplicates (same person and reminder twice)", duplicates),
            ("duplicates (same delivery twice)", duplicate_rows),
            ("losses (a row without its email)", losses),
            ("emails for no row", unknown),
            ("send messages published", f"{totals['enqueued']:,}"),
            ("rows recovered from a dead worker's lease", totals["recovered"]),
            ("dispatcher runs that could not publish", dispatch_failures),
            ("total time, first dispatch to last row", f"{elapsed:.1f} s"),
            ("sends/s over the soak (both workers)", f"{sent / elapsed:.0f}"),
        ],
    ))  # fmt: skip
    print(f"\nsoak {'PASSED' if ok else 'FAILED'}: {duplicates} duplicates, {losses} losses")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
