"""HTTP throughput at clinic scale, against the framework's own ceiling: ``python -m bench.web``.

1. Loads ``bench.data`` (2,000 patients in 5 clinics, a year of journals: over 3 million
   rows) into a PostgreSQL database of its own (mitra_bench_http, or
   $BENCH_HTTP_DATABASE_URL); ``--reuse`` keeps a data set already there.
2. Starts the production web server: gunicorn with config/gunicorn.py (its default worker
   count for this machine), production settings with DEBUG off and whitenoise, serving
   ``bench.wsgi``, which adds the ceiling routes of bench/ceiling.py (config.settings.bench).
3. Signs in as the benchmark does in life: tokens through ``POST /api/v1/auth/token/``
   (the clinician with a code from their authenticator), page sessions through the sign-in
   pages (Django's test client on the same database and secret).
4. Loads each target with wrk, pinned to one core (``taskset``), keep-alive, one thread and
   ``--connections`` connections: a warm-up per target, then three rounds of one
   fixed-length run per target, the targets in turn; the median run by requests a second
   is reported, with its p50 and p99 and every error wrk counts.
5. Prints the table with each target's ratio to C1 and to C4 of the same run, checks the
   goals of issue #8, and writes both into docs/PERFORMANCE.md. Exits 1 when a goal is missed.

No Celery worker runs: entry writes publish their flag task to Redis (db 2, emptied after),
and that publish is part of what a write costs; consuming it is another process's work.
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common
from bench.server import Server, server_env

DATABASE_URL = os.environ.get(
    "BENCH_HTTP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mitra_bench_http"
)
BROKER_URL = os.environ.get("BENCH_HTTP_BROKER_URL", "redis://127.0.0.1:6379/2")
LUA = Path(__file__).resolve().parent / "lua"
WRK_CORE = "1"  # wrk on the second core; the server's processes are not pinned


@dataclass
class Target:
    name: str
    path: str
    auth: str = ""  # "patient" / "clinician" token, or "patient-page" / "clinician-page" cookie
    script: str = ""  # a Lua file in bench/lua, for POSTs
    script_args: list[str] = field(default_factory=list)
    goal: tuple[str, float] | None = None  # ("C4", 0.5): ratio to that ceiling, at least


TARGETS = [
    Target("C1 bare Django view", "/bench/c1/"),
    Target("C2 production middleware", "/bench/c2/"),
    Target("C4 DRF, token", "/bench/c4/", auth="patient", goal=("C1", 0.35)),
    Target("GET pain entries (1 year)", "/api/v1/pain-entries/", auth="patient", goal=("C4", 0.5)),
    Target(
        "POST use entry",
        "/api/v1/use-entries/",
        auth="writer",
        script="post_use.lua",
        goal=("C4", 0.35),
    ),
    Target(
        "GET patients (400 on caseload)", "/api/v1/patients/", auth="clinician", goal=("C4", 0.3)
    ),
    Target("Triage page (HTML)", "/clinic/", auth="clinician-page", goal=("C2", 0.3)),
    Target("Today page (HTML)", "/today/", auth="patient-page", goal=("C2", 0.3)),
    Target("Sign-in (Argon2)", "/api/v1/auth/token/", script="signin.lua"),
]
P99_GOAL_MS = 100.0


@dataclass
class Result:
    target: Target
    runs: list[dict[str, Any]]

    @property
    def median(self) -> dict[str, Any]:
        by_rate = sorted(self.runs, key=lambda r: r["rps"])
        return by_rate[len(by_rate) // 2]

    @property
    def errors(self) -> int:
        m = self.median
        return int(m["connect"] + m["read"] + m["write"] + m["status"] + m["timeout"])


def wrk(
    url: str, target: Target, headers: dict[str, str], *, seconds: int, connections: int
) -> dict[str, Any]:
    """One wrk run; its figures as a dict (from bench/lua/report.lua's JSON line)."""
    script = (LUA / "report.lua").read_text()
    if target.script:
        script += "\n" + (LUA / target.script).read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    args = ["taskset", "-c", WRK_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    args += ["--timeout", "5s", "-s", handle.name]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(url + target.path)
    if target.script_args:
        args += ["--", *target.script_args]
    try:
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603
    finally:
        os.unlink(handle.name)
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def prepare(scale_patients: int, reuse: bool) -> dict[str, int] | None:
    """Migrate, collect static files and load the data set (unless ``reuse`` finds it)."""
    from django.core.management import call_command

    from bench import data
    from patients.models import User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if reuse and User.objects.filter(email=data.patient_email(scale_patients)).exists():
        return None
    return data.load(data.Scale(patients=scale_patients))


def sign_in(base_url: str) -> dict[str, dict[str, str]]:
    """Headers per auth kind, got the way clients get them."""
    import urllib.request

    from axes.models import AccessAttempt
    from django.test import Client
    from django_otp.oath import totp
    from knox.models import AuthToken

    from bench import data
    from patients.models import Authenticator

    # Earlier runs' tokens (the per-person limit is 20) and failed sign-ins (the lockout).
    AuthToken.objects.all().delete()
    AccessAttempt.objects.all().delete()
    # Patient 1 reads (lists, Today); patient 2 writes, so the reads measure a year of
    # journal, not the bench's own writes.
    patient, writer, clinician = (
        data.patient_email(1),
        data.patient_email(2),
        data.clinician_email(1, 1),
    )
    device = Authenticator.objects.get(user__email=clinician)

    def code() -> str:
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    def token(email: str, **extra: str) -> str:
        body = json.dumps({"email": email, "password": data.PASSWORD, **extra}).encode()
        request = urllib.request.Request(  # noqa: S310 (our own loopback server)
            f"{base_url}/api/v1/auth/token/",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return str(json.load(response)["token"])

    def session(email: str, with_code: bool) -> str:
        client = Client(HTTP_HOST="127.0.0.1")
        answer = client.post("/signin/", {"username": email, "password": data.PASSWORD})
        assert answer.status_code == 302, answer.status_code  # noqa: S101
        if with_code:
            answer = client.post("/signin/code/", {"code": code()})
            assert answer.status_code == 302, answer.status_code  # noqa: S101
        return f"sessionid={client.cookies['sessionid'].value}"

    clinician_token = token(clinician, otp=code())
    # A code works once: the page sign-in takes the authenticator's next one.
    time.sleep(device.step - time.time() % device.step + 1)
    clinician_cookie = session(clinician, with_code=True)
    return {
        "": {},
        "patient": {"Authorization": f"Token {token(patient)}"},
        "writer": {"Authorization": f"Token {token(writer)}"},
        "clinician": {"Authorization": f"Token {clinician_token}"},
        "patient-page": {"Cookie": session(patient, with_code=False)},
        "clinician-page": {"Cookie": clinician_cookie},
    }


def use_entry_count() -> int:
    """The writer's use entries (see ``sign_in``)."""
    from bench import data
    from journals.models import UseEntry

    return UseEntry.objects.filter(patient__email=data.patient_email(2)).count()


def machine() -> dict[str, str]:
    import django
    import psycopg
    import rest_framework
    from django.db import connection

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout  # noqa: S607
    gunicorn_version = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True
    ).stdout
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "DRF": rest_framework.VERSION,
        "gunicorn": gunicorn_version.split()[-1].strip(")") if gunicorn_version else "?",
        "psycopg": psycopg.__version__,
        "PostgreSQL": postgres.split()[0],
        "wrk": wrk_version.split()[1] if wrk_version else "?",
    }


def gunicorn_settings() -> str:
    """What config/gunicorn.py resolves to here (the server reads the same file)."""
    namespace: dict[str, Any] = {}
    exec((_common.ROOT / "config" / "gunicorn.py").read_text(), namespace)  # noqa: S102
    return (
        f"{namespace['workers']} processes × {namespace['threads']} threads "
        f"({namespace['worker_class']}), keep-alive {namespace['keepalive']} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--reuse", action="store_true", help="keep a data set already loaded")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", help="targets whose name contains this (the ceilings always run)")
    args = parser.parse_args()

    env = server_env(DATABASE_URL, BROKER_URL)
    os.environ.update(env)
    _common.database_create(DATABASE_URL)
    import django

    django.setup()
    from bench import data

    started = time.monotonic()
    loaded = prepare(args.patients, args.reuse)
    if loaded:
        rows = sum(n for table, n in loaded.items() if table.startswith("journals_"))
        print(f"loaded {rows:,} journal rows in {time.monotonic() - started:.0f} s: {loaded}")
    else:
        print("reusing the data set already loaded")

    log_dir = Path(tempfile.mkdtemp(prefix="mitra-bench-http-"))
    targets = [
        t
        for t in TARGETS
        if not args.only or args.only.lower() in t.name.lower() or t.name[:2] in ("C1", "C2", "C4")
    ]
    results: dict[str, Result] = {}
    rows_checked = "MISSED: the POST target did not run"
    with Server(env, log_dir=log_dir) as server:
        headers = sign_in(server.url)
        before = use_entry_count()

        def run(target: Target, seconds: int) -> dict[str, Any]:
            if target.script == "signin.lua":
                offset = random.randrange(10**6)  # noqa: S311 (not a secret)
                target.script_args = [str(offset), str(args.patients), data.PASSWORD]
            return wrk(
                server.url,
                target,
                headers[target.auth],
                seconds=seconds,
                connections=args.connections,
            )

        warm = {target.name: run(target, args.warmup) for target in targets}
        # Rounds that take every target in turn: a drift in the machine's speed (it is
        # shared) then moves the ceilings and the targets alike, and the ratios less.
        runs: dict[str, list[dict[str, Any]]] = {target.name: [] for target in targets}
        for _ in range(3):
            for target in targets:
                runs[target.name].append(run(target, args.seconds))
        for target in targets:
            results[target.name] = Result(target, runs[target.name])
            if target.script == "post_use.lua":
                rows_checked = rows_check(
                    before, [warm[target.name], *runs[target.name]], args.connections
                )
            median = results[target.name].median
            print(
                f"{target.name:34} {median['rps']:8.1f} req/s  p50 {median['p50_us'] / 1000:6.1f}"
                f" ms  p99 {median['p99_us'] / 1000:6.1f} ms  errors {results[target.name].errors}"
                f"  (runs: {', '.join(str(round(r['rps'])) for r in runs[target.name])})",
                flush=True,
            )
    _redis_flush(BROKER_URL)
    markdown, missed = report(results, args, rows_checked)
    print()
    print(markdown)
    _common.report_section("http", markdown)
    print(f"\nwritten to {_common.PERFORMANCE_MD}")
    return 1 if missed else 0


def rows_check(before: int, runs: list[dict[str, Any]], connections: int) -> str:
    """Every 201 is a row, and every answer was a 201. wrk stops each run with up to
    ``connections`` requests sent but unanswered, which the server may still have saved: so
    the rows added lie between the 201s and that many more per run."""
    added = use_entry_count() - before
    created = sum(r["created"] for r in runs)
    refused = sum(r["other"] for r in runs)
    in_flight = connections * len(runs)
    ok = refused == 0 and created <= added <= created + in_flight
    verdict = (
        f"{'met' if ok else 'MISSED'}: POST rows checked: {added:,} rows added for {created:,}"
        f" answers 201 and {refused} other answers (at most {in_flight} more rows allowed for"
        " requests in flight when wrk stopped)"
    )
    print("  " + verdict, flush=True)
    return verdict


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()  # our own db: the flag tasks no worker consumed


def report(
    results: dict[str, Result], args: argparse.Namespace, rows_checked: str
) -> tuple[str, int]:
    c1 = results["C1 bare Django view"].median["rps"]
    c2 = results["C2 production middleware"].median["rps"]
    c4 = results["C4 DRF, token"].median["rps"]
    ceilings = {"C1": c1, "C2": c2, "C4": c4}
    rows, goals, missed = [], [], 0
    for name, result in results.items():
        m = result.median
        rows.append(
            [
                name,
                f"{m['rps']:,.0f}",
                f"{m['p50_us'] / 1000:.1f}",
                f"{m['p99_us'] / 1000:.1f}",
                result.errors,
                f"{m['rps'] / c1:.2f}",
                f"{m['rps'] / c4:.2f}",
            ]
        )
        if result.target.goal:
            ceiling, least = result.target.goal
            ratio = m["rps"] / ceilings[ceiling]
            ok = ratio >= least
            missed += not ok
            goals.append(
                f"- {'met' if ok else 'MISSED'}: {name}, {ratio:.2f} of {ceiling} (goal ≥ {least})"
            )
        if result.target.script != "signin.lua":
            slow = m["p99_us"] / 1000 >= P99_GOAL_MS or result.errors
            missed += bool(slow)
            if slow:
                goals.append(
                    f"- MISSED: {name}, p99 {m['p99_us'] / 1000:.1f} ms, errors {result.errors}"
                )
    goals.append(f"- {rows_checked}")
    missed += rows_checked.startswith("MISSED")
    goals.append(
        f"- p99 under {P99_GOAL_MS:.0f} ms and no errors for every endpoint: "
        + ("met" if not any("p99" in g for g in goals) else "see above")
    )
    info = machine()
    lines = [
        f"Measured {_today()} by `make bench` (`python -m bench.web`): "
        + "; ".join(f"{k} {v}" for k, v in info.items())
        + ".",
        "",
        f"Server: gunicorn, {gunicorn_settings()}, production settings (DEBUG off, whitenoise),"
        " PostgreSQL on the same machine. "
        f"Load: wrk pinned to one core (`taskset -c {WRK_CORE}`), 1 thread, "
        f"{args.connections} keep-alive connections; a {args.warmup} s warm-up per target, then"
        f" three rounds of one {args.seconds} s run per target, the targets in turn; the median"
        " run by requests a second is shown.",
        "",
        _common.table(
            ["target", "req/s", "p50 ms", "p99 ms", "errors", "ratio to C1", "ratio to C4"], rows
        ),
        "",
        "Goals (ratios in this run):",
        "",
        *goals,
    ]
    return "\n".join(lines), missed


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())
