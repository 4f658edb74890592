"""Two web servers and two Celery workers on one database and one broker (issue #8):
``python -m bench.cluster``.

Web processes keep no state and workers share nothing but PostgreSQL and the broker; this
bench shows it. It starts two gunicorn servers (``bench/server.py``, production settings over
plain HTTP, two processes each) and two ``celery worker`` processes (prefork, two children
each), all with one database, one broker and one ``SECRET_KEY``, plus the reminder dispatcher
in this process every 5 s (as ``bench/reminders_soak.py`` runs it).

For 45 s (``--seconds``) one wrk process per server, both at once, POSTs use entries
(``bench/lua/cluster_post.lua``) for 200 patients, each through both servers, with ids the
client chose: one write in 20 repeats an id that already got 201 (with its own patient's
token it must answer 200, with another's 409), and 40 of the patients also log alcohol, so
kratom + alcohol opens a ``co_use`` flag in the workers (each save publishes
``flags_evaluate_task``). Meanwhile 1,500 other patients' evening reminders fall due, spread
over the write phase. Half-way, one worker child is killed with SIGKILL.

When the load is over, the broker's queue is empty and every delivery is finished, it
checks in PostgreSQL: one row per 201 and none other, no 5xx; every patient with kratom and
alcohol has exactly one open ``co_use`` flag whose evidence lists every one of their entries
(so the last evaluation after their last write ran), and nobody else has one; every
reminder ``sent`` with exactly one email, counted by delivery id and by (person, kind, date).

Database ``mitra_bench_c`` (or ``$BENCH_CLUSTER_DATABASE_URL``), created, migrated and
emptied; broker: a ``redis-server`` of its own on a free port. ``--no-report`` leaves
docs/PERFORMANCE.md alone.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time as clock
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

DATABASE_URL = os.environ.get(
    "BENCH_CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra_bench_c"
)
# bench._common reads its database from BENCH_DATABASE_URL as it is imported: ours, first.
os.environ["BENCH_DATABASE_URL"] = DATABASE_URL

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402
from bench.reminders import clinics_create, zones  # noqa: E402
from bench.reminders_soak import Redis  # noqa: E402
from bench.server import Server, server_env  # noqa: E402

WRITERS = 200
COUSE = 40  # the first writers also log alcohol
REMINDERS = 1500
WRITE_S = 45
GRACE_S = 8  # after the writes, wrk idles this long so every write's answer comes back
CONNECTIONS = 8  # per wrk process
DISPATCH_EVERY_S = 5.0
LEASE_S = 12
TIME_LIMIT_S = 5
REQUEUE_AFTER = timedelta(seconds=60)
SETTLE_TIMEOUT_S = 300.0
LUA = _common.ROOT / "bench" / "lua" / "cluster_post.lua"
SEED = 8


# --- Data ----------------------------------------------------------------------------------


Settings = Callable[[ZoneInfo], tuple[object, ...]]


def people_create(
    *, prefix: str, count: int, clinic_ids: list[int], settings_for: Settings
) -> list[uuid.UUID]:
    """Patients by COPY over many zones, joined an hour ago, each with the reminder settings
    ``settings_for(zone)`` returns (enabled flags and times, in the model's field order)."""
    now = datetime.now(UTC)
    names = zones()
    pks = [uuid.uuid4() for _ in range(count)]
    zone_names = [names[(i * 7) % len(names)] for i in range(count)]
    _common.copy_rows(
        "patients_user",
        ("password", "is_superuser", "id", "email", "role", "display_name", "is_active",
         "is_staff", "date_joined"),
        (("!", False, pk, f"{prefix}-{i:05d}@bench.invalid", "patient", f"{prefix} {i}", True,
          False, now - timedelta(hours=1)) for i, pk in enumerate(pks)),
    )  # fmt: skip
    _common.copy_rows(
        "patients_patientprofile",
        ("user_id", "timezone", "clinic_id"),
        ((pk, zone_names[i], clinic_ids[i % len(clinic_ids)]) for i, pk in enumerate(pks)),
    )  # fmt: skip
    _common.copy_rows(
        "journals_remindersettings",
        ("patient_id", "evening_enabled", "evening_time", "morning_enabled", "morning_time",
         "quiet_start", "quiet_end", "follow_up_enabled", "updated_at"),
        ((pk, *settings_for(ZoneInfo(zone_names[i])), now) for i, pk in enumerate(pks)),
    )  # fmt: skip
    return pks


def writers_create(clinic_ids: list[int], tokens_path: Path) -> list[uuid.UUID]:
    """The patients wrk writes for, every reminder off, each with a knox token; the tokens
    go to a file for the Lua script ("key patient_id" per line)."""
    from knox.models import AuthToken

    from patients.models import User

    never = time(0, 0)
    pks = people_create(
        prefix="cluster-w", count=WRITERS, clinic_ids=clinic_ids,
        settings_for=lambda zone: (False, never, False, never, never, never, False),
    )  # fmt: skip
    users = User.objects.in_bulk(pks)
    lines = [f"{AuthToken.objects.create(users[pk])[1]} {pk}" for pk in pks]
    tokens_path.write_text("\n".join(lines) + "\n")
    return pks


def reminders_create(clinic_ids: list[int], first: datetime, last: datetime, count: int) -> None:
    """Patients whose evening reminder falls due between ``first`` and ``last`` (to the
    second, in their own zone); nothing logged, joined an hour ago: the evening reminder."""
    rng = random.Random(SEED)  # noqa: S311 (bench data)
    span = (last - first).total_seconds()

    def settings_for(zone: ZoneInfo) -> tuple[object, ...]:
        due = first + timedelta(seconds=round(rng.uniform(0, span)))
        local = due.astimezone(zone).time()
        # Quiet hours from and to the same time: none.
        return (True, local, False, local, local, local, False)

    people_create(prefix="cluster-r", count=count, clinic_ids=clinic_ids, settings_for=settings_for)
    _common.analyze()


# --- The run -------------------------------------------------------------------------------


class Wrk:
    """One wrk process writing through one server."""

    def __init__(
        self, *, index: int, server: Server, work: Path, tokens: Path, prefix: str, seconds: int
    ) -> None:
        self.out = work / f"wrk-{index}.json"
        self.log = work / f"wrk-{index}.log"
        self.args = [
            "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds + GRACE_S}s", "--timeout", "10s",
            "-s", str(LUA), f"{server.url}/api/v1/use-entries/",
            "--", str(tokens), prefix, str(index), str(seconds), str(COUSE),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Wrk":
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            self.args,
            env={**os.environ, "CLUSTER_WRK_OUT": str(self.out)},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running():
            assert self.process is not None  # noqa: S101
            self.process.kill()
            self.process.wait()

    def result(self) -> dict[str, Any]:
        if not self.out.exists():
            raise RuntimeError(f"wrk wrote no result; see {self.log}")
        return dict(json.loads(self.out.read_text()))


def broker_backlog(url: str) -> int:
    """Messages waiting in the default queue plus those delivered and not yet acknowledged."""
    import redis

    with redis.Redis.from_url(url) as client:
        return int(client.llen("celery")) + int(client.hlen("unacked"))


def busy_child(app: Any, workers: list[_common.Worker]) -> tuple[int, str]:
    """A worker child in the middle of a task (a reminder send if any is), and the task's
    name; the first worker's first child when none is busy."""
    hostnames = [w.hostname for w in workers]
    active = app.control.inspect(destination=hostnames, timeout=2.0).active() or {}
    running = {t["worker_pid"]: t["name"] for tasks in active.values() for t in tasks}
    children = [pid for w in workers for pid in w.children()]
    busy = [pid for pid in children if pid in running]
    sending = [pid for pid in busy if running[pid].endswith("delivery_send_task")]
    if not busy:
        return children[0], "no task"
    pid = (sending or busy)[0]
    return pid, running[pid].rsplit(".", 1)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=WRITE_S, help="of writes")
    parser.add_argument("--reminders", type=int, default=REMINDERS)
    parser.add_argument("--no-report", action="store_true", help="leave PERFORMANCE.md alone")
    args = parser.parse_args()
    seconds, due_count = args.seconds, args.reminders

    work = Path(tempfile.mkdtemp(prefix="mitra-cluster-"))
    mail_dir = work / "mail"
    mail_dir.mkdir()
    redis_server = Redis(work)
    servers: list[Server] = []
    workers: list[_common.Worker] = []
    wrks: list[Wrk] = []
    try:
        redis_server.start()
        env = {
            **server_env(DATABASE_URL, redis_server.url),
            "EMAIL_URL": "filemail://",
            "REMINDER_SEND_LEASE_SECONDS": str(LEASE_S),
            "REMINDER_SEND_TIME_LIMIT_SECONDS": str(TIME_LIMIT_S),
        }
        os.environ.update(env)
        _common.database_create()
        import django

        django.setup()
        from config.celery import app
        from journals.models import Delivery, DeliveryStatus
        from journals.reminders import dispatch
        from journals.reminders.tasks import reminders_dispatch_task

        dispatch.REQUEUE_AFTER = REQUEUE_AFTER  # the dispatcher's, in this process only
        _common.database_ready()
        clinic_ids = clinics_create(5)
        tokens = work / "tokens.txt"
        writers_create(clinic_ids, tokens)

        servers = [Server(env, log_dir=work, name=f"web-{n}", WEB_CONCURRENCY="2") for n in (1, 2)]
        workers = [
            _common.Worker(
                env=env, name=f"cluster-{n}", pool="prefork", concurrency=2,
                mail_dir=mail_dir, log_dir=work,
            )
            for n in (1, 2)
        ]  # fmt: skip
        for server in servers:
            server.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_ready(app)

        start = datetime.now(UTC) + timedelta(seconds=2)
        reminders_create(
            clinic_ids,
            start + timedelta(seconds=5),
            start + timedelta(seconds=seconds - 5),
            due_count,
        )
        load = os.getloadavg()[0]
        print(
            f"cluster: 2 gunicorn servers ({', '.join(s.url for s in servers)}; 2 processes x "
            f"2 threads each), 2 celery workers (prefork, 2 children each), database "
            f"{DATABASE_URL}, broker {redis_server.url} (own redis-server); {WRITERS} writers "
            f"({COUSE} also log alcohol), {due_count:,} reminders due during {seconds} s of "
            f"writes; {os.cpu_count()} cores, load average {load:.1f}",
            flush=True,
        )
        clock.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()))

        prefix = secrets.token_hex(4)
        wrks = [
            Wrk(
                index=i,
                server=server,
                work=work,
                tokens=tokens,
                prefix=prefix,
                seconds=seconds,
            ).start()
            for i, server in enumerate(servers)
        ]
        unfinished = Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        totals: Counter[str] = Counter()
        started = clock.monotonic()
        next_dispatch = started
        killed = ""
        idle_polls = 0
        writes_over_at = 0.0

        def log(what: str) -> None:
            print(f"{clock.monotonic() - started:6.1f} s  {what}", flush=True)

        while True:
            now = clock.monotonic()
            if now >= next_dispatch:
                result = SimpleNamespace(**reminders_dispatch_task())  # publishes what it hands out
                totals.update(vars(result))
                if result.created or result.recovered:
                    log(f"dispatcher: {result.created:,} created, {result.enqueued:,} handed "
                        f"out, {result.recovered:,} recovered")  # fmt: skip
                next_dispatch = now + DISPATCH_EVERY_S
            if not killed and now - started >= seconds / 2:
                victim, task = busy_child(app, workers)
                os.kill(victim, signal.SIGKILL)
                killed = f"{clock.monotonic() - started:.0f} s, while running {task}"
                log(f"kill -9 of worker child {victim} ({task})")
            if any(w.running() for w in wrks):
                writes_over_at = now
            else:
                done = Delivery.objects.count() == due_count and not unfinished.exists()
                idle_polls = idle_polls + 1 if done and not broker_backlog(redis_server.url) else 0
                if idle_polls >= 3:
                    break
                if now - writes_over_at > SETTLE_TIMEOUT_S:
                    log("timed out waiting for the workers")
                    break
            clock.sleep(0.5)
        elapsed = clock.monotonic() - started
        settled = elapsed - (writes_over_at - started)
        log(f"settled {settled:.1f} s after wrk ended")
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        figures, ok = check(
            results=[w.result() for w in wrks], mail_dir=mail_dir, totals=totals,
            killed=killed, elapsed=elapsed, settled=settled, seconds=seconds, due=due_count,
        )  # fmt: skip
        markdown = "\n\n".join(
            [method(seconds, due_count, load), _common.table(["figure", "value"], figures)]
        )
        print()
        print(_common.table(["figure", "value"], figures))
        print(f"\ncluster {'PASSED' if ok else 'FAILED'}")
        if not args.no_report:
            _common.report_section("cluster", markdown)
        return 0 if ok else 1
    finally:
        for w in wrks:
            w.stop()
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        redis_server.stop()
        shutil.rmtree(work, ignore_errors=True)


def method(seconds: int, due: int, load: float) -> str:
    text = f"""
Two gunicorn servers (production settings over plain HTTP, 2 processes × 2 threads each) and
two Celery workers (prefork, 2 children each) on one PostgreSQL database and one Redis broker
(a `redis-server` of the bench's own), with one `SECRET_KEY`, and the reminder dispatcher
every {DISPATCH_EVERY_S:.0f} s. For {seconds} s, one wrk process per server, both at once,
POSTs use entries for {WRITERS} patients (each patient through both servers) with ids the
client chose; one write in 20 repeats an id that already got 201, half with the same
patient's token (must answer 200, no second row), half with another patient's (must answer
409); {COUSE} of the patients also log alcohol, so the workers open `co_use` flags. Meanwhile
{due:,} evening reminders fall due, spread over the write phase, and half-way one worker
child is killed with SIGKILL. When the queue is empty and every delivery is finished,
PostgreSQL is checked against what wrk saw (`bench/lua/cluster_post.lua` records every id
answered 201), and the emails written against the delivery rows. {os.cpu_count()} cores
shared with other work (load average {load:.1f} at the start) carry everything: both servers,
both workers, PostgreSQL, Redis and wrk, so the rates say little; the counts are the point.
"""
    title = (
        "### Two web servers, two workers, one database "
        f"(`python -m bench.cluster`, {datetime.now(UTC).date().isoformat()})"
    )
    return title + "\n\n" + textwrap.fill(" ".join(text.split()), width=95)


def check(
    *,
    results: list[dict[str, Any]],
    mail_dir: Path,
    totals: Counter[str],
    killed: str,
    elapsed: float,
    settled: float,
    seconds: int,
    due: int,
) -> tuple[list[tuple[str, object]], bool]:
    """Compare the database with what the clients saw; the figures and whether all held."""
    from django.db.models import Count, Q

    from journals.models import Delivery, DeliveryStatus, Flag, FlagStatus, Rule, UseEntry

    statuses: Counter[int] = Counter()
    created: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    for result in results:
        statuses.update({int(code): n for code, n in result["statuses"].items()})
        created.update(result["created"])
        # wrk counts every answer outside 2xx/3xx as a "status" error: the 409s are wanted.
        errors.update({k: n for k, n in result["errors"].items() if k != "status"})
        sent.update({k: result[k] for k in ("repeats_own", "repeats_other", "alcohol")})
    writes = sum(statuses.values())
    rows = {str(pk): patient for pk, patient in UseEntry.objects.values_list("pk", "patient_id")}
    missing = sum(1 for pk in created if pk not in rows)
    unseen = sum(1 for pk in rows if pk not in created)
    twice = sum(n - 1 for n in created.values() if n > 1)
    server_errors = sum(n for code, n in statuses.items() if code >= 500)
    unexpected = sum(n for code, n in statuses.items() if code not in (200, 201, 409))

    # Flags: everyone with kratom and alcohol has one open co_use flag showing every entry.
    entries: dict[Any, set[str]] = defaultdict(set)
    for pk, patient in rows.items():
        entries[patient].add(pk)
    paired = set(
        UseEntry.objects.values("patient_id")
        .annotate(
            kratom=Count("pk", filter=Q(substance="kratom")),
            sedating=Count("pk", filter=Q(substance="alcohol")),
        )
        .filter(kratom__gt=0, sedating__gt=0)
        .values_list("patient_id", flat=True)
    )
    flags: dict[Any, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(rule=Rule.CO_USE):
        flags[flag.patient_id].append(flag)
    one_open = [p for p in paired if [f.status for f in flags[p]] == [FlagStatus.OPEN]]
    complete = [p for p in one_open if {e["entry_id"] for e in flags[p][0].evidence} == entries[p]]
    stray = sum(len(fs) for p, fs in flags.items() if p not in paired)

    # Reminders: one email per row, nobody reminded twice.
    deliveries = {
        str(pk): (str(to), kind, day)
        for pk, to, kind, day in Delivery.objects.values_list(
            "pk", "recipient__email", "kind", "local_date"
        )
    }
    reminders_sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
    per_row: Counter[str] = Counter()
    per_person: Counter[tuple[str, str, Any]] = Counter()
    unknown = 0
    messages = _common.mail_messages(mail_dir)
    for message in messages:
        key = str(message["Message-ID"]).strip("<>").split("@")[0].removeprefix("delivery-")
        if key not in deliveries:
            unknown += 1
            continue
        per_row[key] += 1
        _, kind, day = deliveries[key]
        per_person[(str(message["To"]), kind, day)] += 1
    row_duplicates = sum(n - 1 for n in per_row.values() if n > 1)
    person_duplicates = sum(n - 1 for n in per_person.values() if n > 1)
    losses = sum(1 for key in deliveries if per_row[key] == 0)
    lag = sorted(
        (sent_at - due_at).total_seconds()
        for due_at, sent_at in Delivery.objects.filter(sent_at__isnull=False).values_list(
            "due_at", "sent_at"
        )
        if sent_at is not None
    )

    ok = (
        missing == unseen == twice == server_errors == unexpected == 0
        and len(rows) == statuses[201]
        and statuses[200] == sent["repeats_own"]
        and statuses[409] == sent["repeats_other"]
        and sum(errors.values()) == 0
        and len(complete) == len(paired) > 0
        and stray == 0
        and len(deliveries) == reminders_sent == due
        and row_duplicates == person_duplicates == losses == unknown == 0
    )
    figures: list[tuple[str, object]] = [
        ("write requests (both servers)", f"{writes:,} ({writes / seconds:.0f}/s)"),
        ("answers", ", ".join(f"{code}: {n:,}" for code, n in sorted(statuses.items()))),
        ("connect, read, write errors and timeouts (wrk)", sum(errors.values())),
        ("latency p50 / p99 per server", " · ".join(
            f"{r['latency_p50_us'] / 1000:.0f} / {r['latency_p99_us'] / 1000:.0f} ms"
            for r in results)),
        ("repeats with the same patient (200 expected)", f"{sent['repeats_own']:,}"),
        ("repeats with another patient (409 expected)", f"{sent['repeats_other']:,}"),
        ("use entry rows", f"{len(rows):,} (201s: {statuses[201]:,})"),
        ("lost writes (201 without a row)", missing),
        ("rows without a 201", unseen),
        ("ids answered 201 twice", twice),
        ("5xx", server_errors),
        ("patients with kratom + alcohol", len(paired)),
        ("… with exactly one co_use flag, open", len(one_open)),
        ("… whose flag shows every one of their entries", len(complete)),
        ("co_use flags on anyone else", stray),
        ("reminders due / rows / sent", f"{due:,} / {len(deliveries):,} / "
                                        f"{reminders_sent:,}"),
        ("reminder emails written", f"{len(messages):,}"),
        ("duplicates (same delivery twice)", row_duplicates),
        ("duplicates (same person, kind and date twice)", person_duplicates),
        ("losses (a row without its email)", losses),
        ("emails for no row", unknown),
        ("reminder due → sent, median / max", f"{lag[len(lag) // 2]:.0f} / {lag[-1]:.0f} s"
         if lag else "–"),
        ("rows recovered from a dead worker's lease", totals["recovered"]),
        ("worker child killed (SIGKILL) at", killed),
        ("end of wrk → queue empty, every reminder sent", f"{settled:.0f} s"),
        ("total, first write to all settled", f"{elapsed:.0f} s"),
    ]  # fmt: skip
    return figures, ok


if __name__ == "__main__":
    sys.exit(main())
