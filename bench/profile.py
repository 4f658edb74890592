"""Where a request's time goes, in-process: ``python -m bench.profile [--report] [--profile NAME]``.

``make bench``'s web figures come from gunicorn under wrk on a shared two-core machine: right
for the goals, too noisy to tell a 10 % change (runs of one target differ by up to half).
This calls the bench server's WSGI application (``bench.wsgi``: the production app,
production settings, the ceiling routes) directly, one request after another in one thread,
on the data set ``bench.web`` loaded (run it first), in rounds that take the targets in turn,
and prints each target's milliseconds per request and its cost ratio to the ceilings
(ceiling ms / target ms). ``--report`` writes the table into docs/PERFORMANCE.md;
``--profile NAME`` also prints pyinstrument's call tree for that target.

No HTTP parsing, no sockets, no concurrency: what is left is Django's and our code's work,
which is what a code change moves.
"""

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler

from bench import _common
from bench.server import server_env
from bench.web import BROKER_URL, DATABASE_URL, TARGETS

Environ = dict[str, Any]


def use_body() -> bytes:
    """A use entry like bench/lua/post_use.lua's: every body differs."""
    taken = datetime.now(UTC) - timedelta(seconds=random.randint(600, 20 * 3600))  # noqa: S311
    return json.dumps(
        {
            "taken_at": taken.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "substance": "kratom",
            "amount": round(1 + random.random() * 4, 1),  # noqa: S311
            "unit": "g",
            "form": random.choice(["powder", "capsule", "tea"]),  # noqa: S311
            "mixed_with": "water",
            "reason": random.choice(["pain", "sleep", "energy"]),  # noqa: S311
        }
    ).encode()


def credentials() -> dict[str, dict[str, str]]:
    """Tokens and signed-in session cookies of the people bench.web signs in as."""
    from django.test import Client
    from django_otp.oath import totp
    from knox.models import AuthToken

    from bench import data
    from patients.models import Authenticator, User

    def token(email: str) -> str:
        return str(AuthToken.objects.create(User.objects.get(email=email))[1])

    def session(email: str) -> str:
        client = Client(HTTP_HOST="127.0.0.1")
        answer = client.post("/signin/", {"username": email, "password": data.PASSWORD})
        assert answer.status_code == 302, answer.status_code  # noqa: S101
        device = Authenticator.objects.filter(user__email=email).first()
        if device is not None:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            device.last_t = -1  # the bench's own account: let this code work again
            device.save(update_fields=["last_t"])
            answer = client.post("/signin/code/", {"code": f"{code:06d}"})
            assert answer.status_code == 302, answer.status_code  # noqa: S101
        return f"sessionid={client.cookies['sessionid'].value}"

    patient, writer, clinician = (
        data.patient_email(1),
        data.patient_email(2),
        data.clinician_email(1, 1),
    )
    return {
        "": {},
        "patient": {"HTTP_AUTHORIZATION": f"Token {token(patient)}"},
        "writer": {"HTTP_AUTHORIZATION": f"Token {token(writer)}"},
        "clinician": {"HTTP_AUTHORIZATION": f"Token {token(clinician)}"},
        "patient-page": {"HTTP_COOKIE": session(patient)},
        "clinician-page": {"HTTP_COOKIE": session(clinician)},
    }


def caller(path: str, headers: dict[str, str], post: bool) -> Callable[[], int]:
    from bench.wsgi import application

    def call() -> int:
        environ: Environ = {
            "REQUEST_METHOD": "POST" if post else "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            **headers,
        }
        if post:
            body = use_body()
            environ.update(
                CONTENT_TYPE="application/json",
                CONTENT_LENGTH=str(len(body)),
                **{"wsgi.input": io.BytesIO(body)},
            )
        status: list[str] = []
        chunks = application(environ, lambda s, h, *a: status.append(s))
        for _ in chunks:
            pass
        getattr(chunks, "close", lambda: None)()
        return int(status[0].split()[0])

    return call


def measure(call: Callable[[], int], requests: int) -> float:
    """Median milliseconds per request over ``requests`` calls (after a warm-up)."""
    for _ in range(max(5, requests // 10)):
        status = call()
    if status >= 400:
        raise SystemExit(f"answered {status}")
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def report(cost: dict[str, float], args: argparse.Namespace) -> str:
    c1, c2, c4 = (cost[name] for name in TARGETS_C)
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.profile --report`:"
        f" each target called {args.requests} times in a row in one thread, in"
        f" {args.rounds} rounds taking the targets in turn; the median of the rounds' medians."
        " Ratio: the ceiling's milliseconds over the target's (what the throughput ratio would"
        " be if the server spent nothing outside Django).",
        "",
        "| target | ms per request | ratio to C1 | ratio to C2 | ratio to C4 |",
        "|---|---|---|---|---|",
    ]
    for name, ms in cost.items():
        lines.append(f"| {name} | {ms:.2f} | {c1 / ms:.2f} | {c2 / ms:.2f} | {c4 / ms:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="targets whose name contains this (ceilings always run)")
    parser.add_argument("--profile", help="pyinstrument's call tree of this target")
    parser.add_argument("--report", action="store_true", help="write docs/PERFORMANCE.md")
    args = parser.parse_args()

    os.environ.update(server_env(DATABASE_URL, BROKER_URL))
    import django

    django.setup()
    headers = credentials()
    wanted = (args.only or "").lower()
    calls = {
        t.name: caller(t.path, headers[t.auth], post=bool(t.script))
        for t in TARGETS
        if "Sign-in" not in t.name and (wanted in t.name.lower() or t.name in TARGETS_C)
    }
    rounds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            rounds[name].append(measure(call, args.requests))
    cost = {name: statistics.median(times) for name, times in rounds.items()}
    markdown = report(cost, args)
    print(markdown)
    if args.report:
        _common.report_section("inprocess", markdown)
    for name, call in calls.items():
        if args.profile and args.profile.lower() in name.lower():
            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(args.requests):
                    call()
            print(profiler.output_text(show_all=False, short_mode=False))
    return 0


TARGETS_C = ("C1 bare Django view", "C2 production middleware", "C4 DRF, token")

if __name__ == "__main__":
    sys.exit(main())
