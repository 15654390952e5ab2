"""gunicorn on 127.0.0.1 with the bench settings, stopped whatever happens to the benchmark."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import config

# The bench client names each request in an X-Bench header; the access log records it with
# the time the worker spent on the request (%(D)s, microseconds) for server-side timings.
ACCESS_LOG_FORMAT = "%({x-bench}i)s %(s)s %(D)s"


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    access_log: Path
    workers: int
    name: str = "pages"


def free_port() -> int:
    """A free port of 127.0.0.1: the first free one of BENCH_PORTS ("8180-8189") if set,
    so runs side by side on one machine stay in ranges of their own; else any."""
    first, _, last = os.environ.get("BENCH_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


@contextlib.contextmanager
def gunicorn(
    *,
    workers: int,
    name: str,
    timeout: int = 60,
    application: str = "psp.wsgi:application",
    environment: dict[str, str] | None = None,
    ready_path: str = "/accounts/login/",
) -> Iterator[Server]:
    """Serve psp (or another WSGI `application`: the bare baseline) with `workers` sync
    workers until the block ends (or fails, or is interrupted)."""
    port = free_port()
    access_log = config.BENCH_DIR / f"{name}-access.log"
    error_log = config.BENCH_DIR / f"{name}-error.log"
    access_log.unlink(missing_ok=True)
    error_log.unlink(missing_ok=True)
    command = [
        str(config.BIN / "gunicorn"),
        application,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        f"--timeout={timeout}",
        f"--access-logfile={access_log}",
        f"--access-logformat={ACCESS_LOG_FORMAT}",
        f"--error-logfile={error_log}",
        "--no-control-socket",
    ]
    # A session of its own: Ctrl+C reaches only the benchmark, which then stops gunicorn.
    process = subprocess.Popen(
        command,
        cwd=config.ROOT,
        env={**config.bench_environment(), **(environment or {})},
        start_new_session=True,
    )
    try:
        _wait_until_serving(process, port, error_log, ready_path)
        yield Server(port=port, pid=process.pid, access_log=access_log, workers=workers, name=name)
    finally:
        _stop(process)


def _wait_until_serving(
    process: subprocess.Popen[bytes], port: int, error_log: Path, ready_path: str
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{_tail(error_log)}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{_tail(error_log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (it stops its workers), then SIGKILL to the group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no error log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def worker_pids(server: Server) -> list[int]:
    """The master's child processes: its workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) these processes have used so far; a process that has gone
    counts nothing. Unlike wall time, it hardly changes when other work on the machine
    competes for the cores."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker that has just been replaced
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(server: Server) -> float:
    """CPU time (user + system) the workers have used so far."""
    return cpu_seconds(worker_pids(server))


def server_times(server: Server) -> dict[str, list[float]]:
    """Milliseconds each worker spent per request, by the name in the X-Bench header."""
    times: dict[str, list[float]] = {}
    for line in server.access_log.read_text().splitlines():
        name, _status, micros = line.rsplit(" ", 2)
        if name != "-":
            times.setdefault(name, []).append(int(micros) / 1000)
    return times


def statuses(server: Server, name: str) -> dict[int, int]:
    """How many requests named `name` (X-Bench) got each HTTP status, from the access log."""
    counted: dict[int, int] = {}
    for line in server.access_log.read_text().splitlines():
        label, status, _micros = line.rsplit(" ", 2)
        if label == name:
            counted[int(status)] = counted.get(int(status), 0) + 1
    return counted
