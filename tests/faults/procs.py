"""Real processes for the fault tests: Celery workers and beats, a web server and a Redis of
their own, all against the test database, so that a process can be killed as in production."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url_for_children() -> str:
    """The database pytest-django made, for processes started outside this one."""
    d = connection.settings_dict
    host, port = d.get("HOST") or "127.0.0.1", d.get("PORT") or 5432
    user = d.get("USER") or "postgres"
    return f"postgis://{user}@{host}:{port}/{d['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": database_url_for_children(), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def process(args: list[str], log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A child process in its own process group; whatever is left is killed at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def worker(log: Path, env: dict[str, str],
           name: str) -> AbstractContextManager[subprocess.Popen]:
    return process([str(BIN / "celery"), "-A", "config.celery_app", "worker", "-P", "solo",
                    "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "-l", "INFO"], log, env)


def beat(log: Path, env: dict[str, str],
         schedule: Path) -> AbstractContextManager[subprocess.Popen]:
    return process([str(BIN / "celery"), "-A", "config.celery_app", "beat", "-l", "INFO",
                    "--max-interval", "1", "-s", str(schedule)], log, env)
