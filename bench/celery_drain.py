"""Celery drain time on Redis and on RabbitMQ, side by side: ``python -m bench.celery_drain``.

For each broker one ``celery worker`` process (``-A bench.celery_tasks``: the project's tasks
plus the bench's no-op), prefork pool, one child per core, the project's prefetch (multiplier
1, ``acks_late``), on a queue of the bench's own (``mitra-bench-drain``); the same worker
drains, one after the other:

1. 10,000 no-ops (``bench.noop``). Each does one ``INCR`` on Redis db 4, a counter for the
   run; the one that brings it to 10,000 stamps the time. Drain = that stamp minus the first
   publish; a second later the counter must still read exactly 10,000 (none lost, none run
   twice). So a "no-op" costs one loopback Redis round trip, on either broker alike.
2. 10,000 reminder sends: real ``Delivery`` rows (10,000 patients on the default settings,
   one evening reminder each, nothing logged, so every one is wanted) sent by
   ``journals.tasks.delivery_send_task`` to Django's file email backend, published as the
   dispatcher does (``deliveries_send_on_commit``, one connection). Drain = the last row's
   ``sent_at`` minus the first publish. Every row must end ``sent`` and the files must hold
   10,000 messages with 10,000 distinct ``Message-ID`` s.

Publishing is timed too; the worker consumes while the bench publishes. Results are not
stored (``disabled://``), as in production. Each broker runs in a child process (one broker
per Celery app), on ``config.settings.test`` configured through ``TEST_*`` variables
(``bench/_common.py``), so the broker heartbeat is off for both (test settings).

Database: ``mitra_bench_b`` (or ``$BENCH_CELERY_DATABASE_URL``), created, migrated and
emptied. Redis broker db 3, counters db 4; RabbitMQ at guest@127.0.0.1:5672//.
Options: ``--tasks N`` (default 10,000), ``--rounds N`` (each broker N times, alternating,
Redis first), ``--no-rabbitmq``, ``--no-report`` (do not write docs/PERFORMANCE.md).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

DATABASE_URL = os.environ.get(
    "BENCH_CELERY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra_bench_b"
)
# bench._common reads its database from BENCH_DATABASE_URL as it is imported: ours, first.
os.environ["BENCH_DATABASE_URL"] = DATABASE_URL

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402
from bench.celery_tasks import COUNTER_URL  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/3"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
QUEUE = "mitra-bench-drain"  # never the default queue other workers on a broker read
APP = "bench.celery_tasks"
DRAIN_TIMEOUT = 1800.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Worker(_common.Worker):
    """``_common.Worker`` on the bench's app: the project's tasks and the no-op."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.args[self.args.index("-A") + 1] = APP


# --- Data ----------------------------------------------------------------------------------


def deliveries_load(count: int) -> int:
    """``count`` patients on the default reminder settings and one pending evening reminder
    each for today, by COPY. Nobody logged anything, so each one is still wanted."""
    from patients.models import Clinic

    now = datetime.now(UTC)
    clinic = Clinic.objects.create(name="Bench drain clinic")
    people = [uuid.uuid4() for _ in range(count)]
    users = [
        {
            "id": pk,
            "password": "!",
            "email": f"drain-{i:05d}@bench.invalid",
            "role": "patient",
            "display_name": f"Patient {i}",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
            "date_joined": now - timedelta(days=30),
        }
        for i, pk in enumerate(people)
    ]
    profiles = [{"user_id": pk, "timezone": "UTC", "clinic_id": clinic.pk} for pk in people]
    deliveries = [
        {
            "id": uuid.uuid4(),
            "recipient_id": pk,
            "kind": "evening",
            "local_date": now.date(),
            "channel": "email",
            "status": "pending",
            "due_at": now,
            "claimed_at": now,
            "attempts": 0,
            "last_error": "",
        }
        for pk in people
    ]
    _copy("patients_user", users)
    _copy("patients_patientprofile", profiles)
    loaded = _copy("journals_delivery", deliveries)
    _common.analyze()
    return loaded


def _copy(table: str, rows: list[dict[str, Any]]) -> int:
    return _common.copy_rows(table, list(rows[0]), (tuple(row.values()) for row in rows))


# --- One broker (child process) ------------------------------------------------------------


def server_version(broker: str) -> str:
    from config.celery import app

    if broker.startswith("redis"):
        import redis

        info = redis.Redis.from_url(broker).info("server")
        return f"Redis {info['redis_version']}"
    with app.connection_for_write() as conn:
        conn.connect()
        props = conn.connection.server_properties
        name, number = props.get("product", "AMQP"), props.get("version", "?")
        return f"{name} {number}"


def noops_drain(total: int) -> dict[str, Any]:
    """Publish ``total`` no-ops over one connection; seconds to publish and to drain."""
    import redis

    from bench.celery_tasks import noop

    counter = redis.Redis.from_url(COUNTER_URL)
    run = f"bench:drain:{uuid.uuid4()}"
    try:
        started = time.time()
        with noop.app.producer_or_acquire() as producer:
            for _ in range(total):
                noop.apply_async((run, total), producer=producer)
        published = time.time() - started
        _common.wait_until(
            lambda: counter.exists(f"{run}:done") > 0,
            timeout=DRAIN_TIMEOUT,
            every=0.05,
            what=f"{total:,} no-ops done",
        )
        finished = float(counter.get(f"{run}:done") or 0)
        time.sleep(1.0)  # a task run twice would show as a count above the total
        done = int(counter.get(run) or 0)
    finally:
        counter.delete(run, f"{run}:done")
    assert done == total, f"{done:,} no-ops counted, {total:,} published"  # noqa: S101
    return {"publish_s": published, "drain_s": finished - started, "done": done}


def sends_drain(total: int, mail_dir: Path) -> dict[str, Any]:
    """Publish every delivery as the dispatcher does; seconds to publish and until the last
    row is ``sent``; then every row and every email accounted for."""
    from django.db.models import Count, Max

    from bench.reminders import sample_reset
    from journals.models import Delivery, DeliveryStatus
    from journals.reminders.tasks import deliveries_send_on_commit

    ids = sample_reset()
    assert len(ids) == total, f"{len(ids):,} deliveries in the database"  # noqa: S101
    unfinished = Delivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    )
    started = datetime.now(UTC)
    deliveries_send_on_commit(ids)  # outside a transaction: publishes at once
    published = (datetime.now(UTC) - started).total_seconds()
    _common.wait_until(
        lambda: not unfinished.exists(),
        timeout=DRAIN_TIMEOUT,
        every=0.25,
        what=f"{total:,} deliveries finished",
    )
    last = Delivery.objects.aggregate(last=Max("sent_at"))["last"]
    statuses = dict(
        Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    messages = _common.mail_messages(mail_dir)
    distinct = len({m["Message-ID"] for m in messages})
    assert statuses == {DeliveryStatus.SENT: total}, f"statuses after: {statuses}"  # noqa: S101
    assert len(messages) == distinct == total, (  # noqa: S101
        f"{len(messages):,} emails, {distinct:,} distinct, {total:,} deliveries"
    )
    return {
        "publish_s": published,
        "drain_s": (last - started).total_seconds(),
        "sent": statuses[DeliveryStatus.SENT],
        "emails": len(messages),
    }


def broker_run(broker: str, total: int) -> dict[str, Any]:
    """Both drains on one broker, with one worker that stays up between them."""
    env = _common.configure(broker=broker)
    import django

    django.setup()
    from bench.celery_tasks import app

    app.conf.task_default_queue = QUEUE
    work = Path(tempfile.mkdtemp(prefix="mitra-bench-drain-"))
    mail_dir = work / "mail"
    mail_dir.mkdir()
    app.control.purge()
    worker = Worker(
        env=env,
        name="bench-drain",
        pool="prefork",
        concurrency=cores(),
        mail_dir=mail_dir,
        log_dir=work,
        queue=QUEUE,
    ).start()
    load_before = os.getloadavg()[0]
    try:
        worker.wait_ready(app)
        noops = noops_drain(total)
        print(
            f"  {broker.split(':')[0]}: {total:,} no-ops published in {noops['publish_s']:.1f} s,"
            f" drained in {noops['drain_s']:.1f} s",
            flush=True,
        )
        sends = sends_drain(total, mail_dir)
        print(
            f"  {broker.split(':')[0]}: {total:,} sends published in {sends['publish_s']:.1f} s,"
            f" drained in {sends['drain_s']:.1f} s",
            flush=True,
        )
    except BaseException:
        print(f"  worker log and mail kept in {work}")
        raise
    finally:
        worker.stop()
        app.control.purge()  # anything left: the broker may be shared
    shutil.rmtree(work)
    return {
        "broker": broker.split(":")[0],
        "server": server_version(broker),
        "concurrency": cores(),
        "noops": noops,
        "sends": sends,
        "load": f"{load_before:.1f}–{os.getloadavg()[0]:.1f}",
    }


# --- The run -------------------------------------------------------------------------------


def child_run(broker: str, total: int) -> dict[str, Any] | None:
    out = Path(tempfile.mkstemp(prefix="mitra-bench-drain-", suffix=".json")[1])
    try:
        child = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [
                *(sys.executable, "-m", "bench.celery_drain", "--broker", broker),
                *("--tasks", str(total), "--json", str(out)),
            ],
            cwd=_common.ROOT,
            check=False,
        )
        if child.returncode:
            print(f"  {broker.split(':')[0]}: the child run failed ({child.returncode})")
            return None
        return dict(json.loads(out.read_text()))
    finally:
        out.unlink(missing_ok=True)


def report(figures: list[dict[str, Any]], total: int) -> str:
    n = f"{total:,}"
    rows = [
        (
            run,
            f["server"],
            f"{f['noops']['publish_s']:.1f}",
            f"{f['noops']['drain_s']:.1f}",
            f"{total / f['noops']['drain_s']:,.0f}",
            f"{f['sends']['publish_s']:.1f}",
            f"{f['sends']['drain_s']:.1f}",
            f"{total / f['sends']['drain_s']:,.1f}",
            f["load"],
        )
        for run, f in enumerate(figures, 1)
    ]
    headers = [
        "run",
        "broker",
        f"{n} no-ops: publish s",
        "drain s",
        "tasks/s",
        f"{n} reminder sends: publish s",
        "drain s",
        "sends/s",
        "load (1 min)",
    ]
    concurrency = figures[0]["concurrency"] if figures else cores()
    method = (
        f"### Celery drain time (`python -m bench.celery_drain`, "
        f"{datetime.now(UTC):%Y-%m-%d})\n\n"
        f"One `celery worker` per broker, `--pool=prefork --concurrency={concurrency}` (one "
        f"child per core of this {cores()}-core machine, shared with other jobs), the "
        "project's settings: prefetch multiplier 1, `acks_late`, no result backend, "
        "broker heartbeat off (test settings), a queue of the bench's own. It drains "
        f"{n} no-ops (each one `INCR` on a Redis counter; drain ends when the last one "
        f"stamps the time) and then {n} real reminder sends (`delivery_send_task`, one "
        "evening reminder per patient, Django's file email backend; drain ends at the last "
        "row's `sent_at`). Both are timed from the first publish; the worker consumes while "
        "the bench publishes (one connection, as the dispatcher does). Every no-op counted "
        f"exactly once, every delivery `sent`, {n} emails with distinct `Message-ID`s. "
        f"Celery {version('celery')}, kombu {version('kombu')}, redis-py {version('redis')}. "
        "The machine is shared: the figures swing with its load average (last column), so "
        "compare rows of similar load; with `--rounds` the brokers alternate."
    )
    return method + "\n\n" + _common.table(headers, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--no-rabbitmq", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="each broker N times, alternating")
    parser.add_argument("--no-report", action="store_true", help="leave docs/PERFORMANCE.md")
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.broker:  # child run: the deliveries are already in the database
        figure = broker_run(args.broker, args.tasks)
        Path(args.json).write_text(json.dumps(figure))
        return 0

    _common.configure(broker=REDIS_URL)
    _common.database_create()
    import django

    django.setup()
    print(
        f"database {_common.DATABASE_URL}, queue {QUEUE}; {cores()} cores, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    _common.database_ready()
    print(f"loaded {deliveries_load(args.tasks):,} deliveries", flush=True)
    brokers = [REDIS_URL]
    if args.no_rabbitmq:
        pass
    elif _common.rabbitmq_up():
        brokers.append(RABBITMQ_URL)
    else:
        print("  RabbitMQ does not answer on 127.0.0.1:5672: skipped")
    # Rounds go A B, B A, …: a machine whose load drifts favours neither broker.
    order = [b for r in range(args.rounds) for b in (brokers if r % 2 == 0 else brokers[::-1])]
    figures = [f for f in (child_run(b, args.tasks) for b in order) if f]
    if len(figures) < len(order):
        return 1
    markdown = report(figures, args.tasks)
    print("\n" + markdown)
    if not args.no_report:
        _common.report_section("celery", markdown)
        print(f"\nwritten to {_common.PERFORMANCE_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
