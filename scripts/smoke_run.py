"""Smoke test for `make run` (scripts/run.py): start it on a clean SQLite database, sign in
through the API, check the Celery worker, then Ctrl-C it and check that all it started is gone.

Other settings in the environment pass through (so `CELERY_BROKER_URL=redis://… make smoke`
tries the worker on Redis); DJANGO_SETTINGS_MODULE is dropped so the local settings apply.
"""

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120.0  # seconds from launch until the API and the worker are up
STOP_TIMEOUT = 30.0  # seconds from SIGINT until every process is gone
LOGIN_LINE = re.compile(r"^[ \t]+(\S+)[ \t]+(\S+@\S+)[ \t]+(\S+)[ \t]*$", re.MULTILINE)
WORKER_READY = re.compile(r"celery@\S+ ready\.")
OTPAUTH = re.compile(r"otpauth://totp/\S+")
REMINDED = "jo@demo.mitra.test"  # a demo patient who stopped logging days ago
REMINDER_GRACE = 60.0  # seconds after the due minute: beat, the file broker and the worker


class SmokeFailure(Exception):
    pass


def read(log: Path) -> str:
    return log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def call(
    port: int, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
) -> tuple[int, Any]:
    """One HTTP request to the server; the status and the decoded JSON body (or None)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, None


def processes() -> dict[int, tuple[int, int, str]]:
    """Every live process as pid -> (parent pid, process group, command line); zombies left out."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # it ended while we looked
            continue
        # The command name in parentheses may hold spaces; the fields after it do not.
        state, ppid, pgid = stat[stat.rindex(")") + 2 :].split()[:3]
        if state != "Z":
            found[int(entry.name)] = (int(ppid), int(pgid), command)
    return found


def process_tree(root: int) -> dict[int, tuple[int, int, str]]:
    """The root process and all its descendants."""
    everything = processes()
    tree = {pid: info for pid, info in everything.items() if pid == root}
    while True:
        children = {
            pid: info for pid, info in everything.items() if info[0] in tree and pid not in tree
        }
        if not children:
            return tree
        tree.update(children)


def wait_for(
    what: str, ready: Callable[[], bool], deadline: float, run: subprocess.Popen[bytes]
) -> None:
    while not ready():
        if run.poll() is not None:
            raise SmokeFailure(f"scripts/run.py exited ({run.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out waiting for {what}")
        time.sleep(0.5)


def schema_answers(port: int) -> bool:
    try:
        return call(port, "GET", "/api/v1/schema/")[0] == 200
    except OSError:
        return False


def demo_logins(output: str) -> list[tuple[str, str, str]]:
    """Demo (role, email, password) lines from run.py's summary."""
    summary = output.partition("Mitra is running at")[2]
    logins: list[tuple[str, str, str]] = LOGIN_LINE.findall(summary)
    if not logins:
        raise SmokeFailure("no demo login in the output of scripts/run.py (is seed_demo there?)")
    return logins


def otpauth_secrets(output: str) -> dict[str, str]:
    """email -> base32 secret, from the otpauth URIs printed under the clinicians' logins."""
    secrets = {}
    for uri in OTPAUTH.findall(output.partition("Mitra is running at")[2]):
        parts = urlsplit(uri)
        email = unquote(parts.path.lstrip("/")).rpartition(":")[2]
        secrets[email] = parse_qs(parts.query)["secret"][0]
    return secrets


def totp(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows now (RFC 6238: HMAC-SHA1 over the time step)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(time.time() if at is None else at) // step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{number:0{digits}d}"


def sign_in(port: int, output: str, role: str, email: str = "") -> tuple[str, str]:
    """A demo login of a role (the first, or the one with ``email``), signed in: (email,
    token). A clinician adds the code of their two-step sign-in, computed from the secret in
    the printed otpauth URI."""
    email, password = next(
        (e, p) for r, e, p in demo_logins(output) if r == role and (e == email or not email)
    )
    credentials = {"email": email, "password": password}
    secret = otpauth_secrets(output).get(email)
    if secret is not None:
        credentials["otp"] = totp(secret)
    elif role == "clinician":
        raise SmokeFailure(f"no otpauth URI printed for the demo clinician {email}")
    status, body = call(port, "POST", "/api/v1/auth/token/", credentials)
    if status != 200 or not isinstance(body, dict) or not body.get("token"):
        raise SmokeFailure(f"POST /api/v1/auth/token/ as {email} answered {status}: {body}")
    return email, body["token"]


def check_serving(port: int, output: str) -> str:
    """A demo patient signs in and writes an entry; their clinician reads it back and finds
    them in the patient list (the triage figures, whose SQL must work on SQLite too)."""
    email, patient_token = sign_in(port, output, "patient")
    status, me = call(port, "GET", "/api/v1/me/", token=patient_token)
    if status != 200 or not isinstance(me, dict) or me.get("email") != email:
        raise SmokeFailure(f"GET /api/v1/me/ with the token answered {status}: {me}")
    now = datetime.now(UTC).isoformat()
    status, entry = call(
        port, "POST", "/api/v1/pain-entries/", {"recorded_at": now, "intensity": 4}, patient_token
    )
    if status != 201:
        raise SmokeFailure(f"POST /api/v1/pain-entries/ as {email} answered {status}: {entry}")
    _, clinician_token = sign_in(port, output, "clinician")
    path = f"/api/v1/patients/{me['id']}/pain-entries/"
    status, page = call(port, "GET", path, token=clinician_token)
    if status != 200 or page["results"][0]["id"] != entry["id"]:
        raise SmokeFailure(f"GET {path} as the clinician answered {status}: {page}")
    status, listed = call(port, "GET", "/api/v1/patients/", token=clinician_token)  # triage
    if status != 200 or me["id"] not in {row["id"] for row in listed["results"]}:
        raise SmokeFailure(f"GET /api/v1/patients/ as the clinician answered {status}: {listed}")
    for path in ("/api/v1/docs/", "/signin/"):
        status = call(port, "GET", path)[0]
        if status != 200:
            raise SmokeFailure(f"GET {path} answered {status}")
    return email


def check_reminder(port: int, output: str, mail_dir: Path, run: subprocess.Popen[bytes]) -> str:
    """A demo patient sets their evening reminder to the next minute through the API; beat,
    the dispatcher and the worker must deliver exactly one email to var/'s mail folder by the
    end of that minute. Jo has logged nothing for days, so nothing already logged stops it
    (the email is the gentle follow-up that takes the evening reminder's place)."""
    email, token = sign_in(port, output, "patient", REMINDED)
    status, me = call(port, "GET", "/api/v1/me/", token=token)
    if status != 200:
        raise SmokeFailure(f"GET /api/v1/me/ as {email} answered {status}: {me}")
    local = datetime.now(ZoneInfo(me["timezone"]))
    due = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
    body = {"evening_time": f"{due:%H:%M}", "quiet_start": "00:00", "quiet_end": "00:00"}
    status, answer = call(port, "PATCH", "/api/v1/reminder-settings/", body, token)
    if status != 200:
        raise SmokeFailure(f"PATCH /api/v1/reminder-settings/ answered {status}: {answer}")
    deadline = time.monotonic() + (due - local).total_seconds() + REMINDER_GRACE
    wait_for(f"a reminder email to {email}", lambda: bool(mails_to(mail_dir, email)), deadline, run)
    arrived = datetime.now(due.tzinfo)
    late = (arrived - due).total_seconds()
    # One dispatcher run after the one that sent it must not send it again.
    time.sleep(max(0.0, 61 - (arrived - due).total_seconds()))
    found = mails_to(mail_dir, email)
    if len(found) != 1:
        raise SmokeFailure(f"{len(found)} reminder emails to {email}, not 1")
    return f"{email} got one reminder {late:.0f}s after {due:%H:%M} ({me['timezone']})"


def mails_to(mail_dir: Path, address: str) -> list[str]:
    """Messages the file email backend wrote for ``address``."""
    return [
        message
        for path in sorted(mail_dir.glob("*.log"))
        for message in path.read_text(errors="replace").split("-" * 79)
        if f"\nTo: {address}\n" in message
    ]


def check_worker(run: subprocess.Popen[bytes]) -> None:
    workers = [
        pid
        for pid, (_, _, command) in process_tree(run.pid).items()
        if "celery" in command and " worker" in command
    ]
    if not workers:
        raise SmokeFailure("no Celery worker process is running under scripts/run.py")


def stop_and_check(run: subprocess.Popen[bytes]) -> float:
    """Ctrl-C the run and check that it and everything it started end; return how long it took."""
    tree = process_tree(run.pid)
    groups = {pgid for _, pgid, _ in tree.values()}
    started = time.monotonic()
    run.send_signal(signal.SIGINT)
    try:
        code = run.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise SmokeFailure(f"scripts/run.py still runs {STOP_TIMEOUT:.0f}s after SIGINT") from None
    if code != 0:
        raise SmokeFailure(f"scripts/run.py exited {code} after SIGINT, not 0")
    deadline = started + STOP_TIMEOUT
    while True:
        left = {
            pid: command
            for pid, (_, pgid, command) in processes().items()
            if pid in tree or pgid in groups
        }
        if not left:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            kill_groups(groups)
            raise SmokeFailure(f"processes left after SIGINT: {left}")
        time.sleep(0.2)


def kill_groups(groups: set[int]) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def clean_up(run: subprocess.Popen[bytes]) -> None:
    """After a failure: let run.py stop its children, then kill whatever is left."""
    groups = {run.pid, *(pgid for _, pgid, _ in process_tree(run.pid).values())}
    if run.poll() is None:
        run.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.wait(timeout=STOP_TIMEOUT)
    kill_groups(groups)


def main() -> int:
    # SIGTERM (a CI timeout, say) ends us through SystemExit, so the clean-up below still runs.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    tmp = Path(tempfile.mkdtemp(prefix="mitra-smoke-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "VAR_DIR": str(tmp / "var"),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp / "run.log"
    started = time.monotonic()
    with log.open("wb") as out:
        run = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "scripts" / "run.py")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal
        )
    try:
        deadline = started + START_TIMEOUT
        wait_for("GET /api/v1/schema/ to answer 200", lambda: schema_answers(port), deadline, run)
        wait_for(
            "the summary of scripts/run.py",
            lambda: "Mitra is running" in read(log),
            deadline,
            run,
        )
        if not WORKER_READY.search(read(log)):
            raise SmokeFailure("the Celery worker never said it was ready")
        up = time.monotonic() - started
        email = check_serving(port, read(log))
        check_worker(run)
        reminded = check_reminder(port, read(log), tmp / "mail", run)
        took_to_stop = stop_and_check(run)
    except SmokeFailure as failure:
        clean_up(run)
        tail = read(log).splitlines()[-40:]
        print("\n".join(["--- last lines of scripts/run.py ---", *tail, "---"]), file=sys.stderr)
        print(f"smoke: FAILED: {failure} (files kept in {tmp})", file=sys.stderr)
        return 1
    except BaseException:  # Ctrl-C on the smoke test itself, say: leave nothing behind
        clean_up(run)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"smoke: OK in {time.monotonic() - started:.1f}s: up in {up:.1f}s on port {port}, "
        f"{email} wrote a pain entry that their clinician read back, worker ready, {reminded}, "
        f"all processes gone {took_to_stop:.1f}s after SIGINT"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
