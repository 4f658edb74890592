"""Run Mitra locally: migrate, seed demo data, then the web server and a Celery worker with beat.

With no settings in the environment everything lives under var/: SQLite, the file-based
Celery transport and the emails. Ctrl-C or SIGTERM stops it all; so does any child dying.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
START_TIMEOUT = 60.0  # seconds for the web server to answer and the worker to be ready
STOP_TIMEOUT = 15.0  # seconds the children get to exit after SIGTERM, before SIGKILL
# seed_demo prints each login as "  <role>  <email>  <password>", and under a clinician's
# the otpauth URI of their two-step sign-in (scripts/smoke_run.py computes codes from it).
LOGIN_LINE = re.compile(r"^\s+\S+\s+\S+@\S+\s+\S+\s*$")
OTPAUTH_LINE = re.compile(r"^\s+.*otpauth://totp/\S+\s*$")
WORKER_READY = re.compile(rb"celery@\S+ ready\.")

# Asks Django where var/ and the broker folders are and whether DEBUG is on,
# so this script does not re-implement the settings.
SETTINGS_PROBE = """
import json
from django.conf import settings
folders = [
    value for key, value in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items()
    if "folder" in key and isinstance(value, str)
]
print(json.dumps({"debug": settings.DEBUG, "var_dir": str(settings.VAR_DIR), "folders": folders}))
"""

Children = dict[str, subprocess.Popen[bytes]]


class Shutdown(BaseException):
    """Raised on SIGINT/SIGTERM; a BaseException, like KeyboardInterrupt, so nothing swallows it."""


def on_signal(signum: int, frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def manage(*args: str, capture: bool = False) -> str:
    """Run a management command in the foreground; exit if it fails, else return its output."""
    result = subprocess.run(  # noqa: S603
        [*MANAGE, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stdout.write(result.stdout or "")
        raise SystemExit(f"run: manage.py {args[0]} failed ({result.returncode})")
    return result.stdout or ""


def prepare() -> tuple[Path, list[str]]:
    """Get var/ and the database ready; return var/ and the demo logins seed_demo printed."""
    probe = manage("shell", "--no-imports", "-c", SETTINGS_PROBE, capture=True)
    found = json.loads(probe.splitlines()[-1])  # the last line, in case settings print
    var_dir = Path(found["var_dir"])
    for folder in [var_dir, *map(Path, found["folders"])]:
        folder.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput")
    if not found["debug"]:  # with DEBUG on, runserver serves the static files itself
        manage("collectstatic", "--noinput", "--verbosity", "0")
    output = manage("seed_demo", capture=True)
    print(output, end="", flush=True)
    return var_dir, [
        line for line in output.splitlines() if LOGIN_LINE.match(line) or OTPAUTH_LINE.match(line)
    ]


def start(*command: str, piped: bool = False) -> subprocess.Popen[bytes]:
    """Start a child; with `piped`, its stdout and stderr come to us through one pipe."""
    # Its own process group: stopping it also stops whatever it forked (Celery's pool), and a
    # Ctrl-C in the terminal reaches only this script, which then stops the children in order.
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        process_group=0,
        stdout=subprocess.PIPE if piped else None,
        stderr=subprocess.STDOUT if piped else None,
    )


def relay(stream: IO[bytes], ready: threading.Event) -> None:
    """Copy the worker's output to ours, noting when it says it is ready."""
    for line in stream:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        if WORKER_READY.search(line):
            ready.set()


def stop(children: Children) -> None:
    """SIGTERM each child and wait; then SIGKILL whatever is left in their process groups."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    for child in children.values():
        if child.poll() is None:
            child.terminate()  # Celery's main process then stops its own pool: a warm shutdown
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and first_running(children):
        time.sleep(0.1)
    for child in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # a stuck child, or an orphan of its pool
        child.wait()


def first_running(children: Children) -> str | None:
    return next((name for name, child in children.items() if child.poll() is None), None)


def first_dead(children: Children) -> str | None:
    return next((name for name, child in children.items() if child.poll() is not None), None)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As runserver does: a port held only by closed connections (TIME_WAIT) is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("HEAD", "/signin/")
        connection.getresponse()
    except OSError:
        return False
    finally:
        connection.close()
    return True


def wait_until_up(port: int, worker_ready: threading.Event, children: Children) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not first_dead(children):
        if worker_ready.is_set() and answers(port):
            return True
        time.sleep(0.3)
    return False


def main() -> int:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    port = int(os.environ.get("PORT", "8000"))
    url = f"http://127.0.0.1:{port}"
    if not port_is_free(port):
        print(f"run: port {port} is in use; stop what uses it, or set PORT", file=sys.stderr)
        return 1
    # Links in emails point at this server unless SITE_URL says otherwise; children inherit it,
    # and the local settings (the server entry points default to production).
    os.environ.setdefault("SITE_URL", url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

    children: Children = {}
    try:
        var_dir, logins = prepare()
        children["web server"] = start(*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload")
        worker = children["Celery worker"] = start(
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
            *("--loglevel=INFO", "--schedule", str(var_dir / "celerybeat-schedule")),
            piped=True,
        )
        worker_ready = threading.Event()
        threading.Thread(target=relay, args=(worker.stdout, worker_ready), daemon=True).start()
        if wait_until_up(port, worker_ready, children):
            print(
                f"\nMitra is running at {url}/\n"
                f"  API docs  {url}/api/v1/docs/\n"
                f"  admin     {url}/admin/\n"
                "Demo logins (role, email, password; a clinician's sign-in code comes from\n"
                "an authenticator app given the otpauth URI below their login):\n"
                + ("\n".join(logins) or "  (none)")
                + "\nCtrl-C stops the server and the worker.\n",
                flush=True,
            )
            while not first_dead(children):
                time.sleep(0.5)
        if dead := first_dead(children):
            print(f"run: the {dead} exited ({children[dead].returncode})", file=sys.stderr)
        else:
            print(
                f"run: {url} and the worker were not both up in {START_TIMEOUT:.0f}s",
                file=sys.stderr,
            )
        return 1
    except Shutdown as received:
        print(f"\nrun: {received}, stopping…", file=sys.stderr, flush=True)
        return 0
    finally:
        stop(children)


if __name__ == "__main__":
    sys.exit(main())
