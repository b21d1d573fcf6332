"""The Streamlit server under test for ``bench.load``: start it, watch its memory and CPU.

Everything here reads Linux's /proc, because the figures that matter (resident memory,
CPU seconds) belong to the server process, not to the harness that drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HEALTH_PATH = "/_stcore/health"
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 90.0  # the first import of numpy/pandas/plotly is slow on a busy box
HEALTH_POLL_S = 0.25
STOP_TIMEOUT_S = 15.0
RSS_SAMPLE_S = 0.2
KIB_PER_MIB = 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# /proc/<pid>/stat fields after the ")" closing the command name start at field 3
# (state); utime and stime are fields 14 and 15 (man 5 proc).
_STAT_FIRST_FIELD = 3
_UTIME_FIELD, _STIME_FIELD = 14, 15
# Streamlit logs "Running script" once at the top of every script run
# (ScriptRunner._run_script), a fragment rerun as much as a full one (both go through the
# same loop, and so does the run a script's st.rerun() starts; a fragment rerun the
# session no longer holds is dropped before it, unlogged and unrun). Its default log
# format drops the logger's name, so the debug server logs with one that keeps it, and
# only that logger's line is counted.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RUN_LOG_PATTERN = re.compile(
    r" DEBUG streamlit\.runtime\.scriptrunner\.script_runner: Running script\s*$")


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MiB (VmRSS), or None if it cannot be read."""
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / KIB_PER_MIB
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of ``pid`` so far, all its threads included."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ")".
    fields = stat.rsplit(")", 1)[1].split()
    ticks = (int(fields[_UTIME_FIELD - _STAT_FIRST_FIELD])
             + int(fields[_STIME_FIELD - _STAT_FIRST_FIELD]))
    return ticks / CLOCK_TICKS


@dataclass
class RssSampler:
    """Samples a process's RSS in the background; ``peak`` is the largest sample."""

    pid: int | None
    interval_s: float = RSS_SAMPLE_S
    peak: float | None = None
    _task: asyncio.Task | None = field(default=None, repr=False)

    def start(self) -> None:
        self.peak = rss_mb(self.pid)
        if self.pid is not None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)

    def sample(self) -> float | None:
        value = rss_mb(self.pid)
        if value is not None:
            self.peak = value if self.peak is None else max(self.peak, value)
        return value

    async def stop(self) -> float | None:
        """Stop sampling; take one last sample so a short scenario still has a peak."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.sample()
        return self.peak


class ServerError(RuntimeError):
    """The app server did not start, or died."""


@dataclass
class AppServer:
    """``streamlit run app.py`` in ``app_dir`` on a free loopback port.

    Run from ``app_dir`` so that its ``.streamlit/config.toml`` (the production config)
    is the one Streamlit reads. The log goes to a file: ``--verify-log`` counts runs in it.
    ``env`` adds to (or overrides) the harness's environment for the server process: the
    quiz scenario points the app's database at a fresh file with it.
    """

    app_dir: Path
    debug_log: bool = False
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.port", str(self.port), "--server.address", LOOPBACK,
               "--server.headless", "true"]
        if self.debug_log:
            cmd += ["--logger.level=debug", f"--logger.messageFormat={LOG_FORMAT}"]
        return cmd

    def start(self) -> None:
        self.port = free_port()
        fd, name = tempfile.mkstemp(prefix="bench-load-server-", suffix=".log")
        self.log_path = Path(name)
        with os.fdopen(fd, "wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.app_dir, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env={**os.environ, **self.env})
        self.wait_healthy()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"the server exited ({self.process.returncode}); "
                                  f"see {self.log_path}")
            if is_healthy(self.url):
                return
            time.sleep(HEALTH_POLL_S)
        raise ServerError(f"no healthy server after {STARTUP_TIMEOUT_S:.0f} s; "
                          f"see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path else 0

    def count_runs_in_log(self, start: int, end: int | None = None) -> int:
        """Script runs the server logged between two byte offsets of its log."""
        with open(self.log_path, "rb") as log:
            log.seek(start)
            chunk = log.read() if end is None else log.read(end - start)
        text = chunk.decode("utf-8", errors="replace")
        return sum(1 for line in text.splitlines() if RUN_LOG_PATTERN.search(line))


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=HEALTH_POLL_S * 8) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False
