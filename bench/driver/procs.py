"""Processes of a benchmark run: start, wait until ready, stop, and read CPU and memory from /proc.

Every process the run starts listens on 127.0.0.1 only and is stopped by its own PID.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Service:
    """A long-running process whose output goes to a log file."""

    def __init__(self, name: str, argv: list, log: Path, env: dict = None, cwd: Path = None):
        self.name = name
        self.log = log
        full_env = dict(os.environ)
        full_env.update(env or {})
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            [str(a) for a in argv], stdout=self._log_file, stderr=subprocess.STDOUT,
            env=full_env, cwd=cwd, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, port: int, timeout: float = 60.0) -> "Service":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                wait_for_port(port, timeout=0.5)
                return self
            except RuntimeError:
                continue
        raise RuntimeError(f"{self.name} did not listen on {port} within {timeout} s; see {self.log}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


def descendants(pid: int) -> list:
    """Returns `pid` and every process below it, read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and its descendants (all threads), in seconds."""
    total = 0
    for each in descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def context_switches(pid: int) -> int:
    """Voluntary plus involuntary context switches of every thread of `pid` and its descendants."""
    total = 0
    for each in descendants(pid):
        try:
            tasks = os.listdir(f"/proc/{each}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                status = Path(f"/proc/{each}/task/{task}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
    return total


def memory_kb(pid: int) -> dict:
    """VmRSS and VmHWM (peak resident set) of `pid` and its descendants, summed, in KiB."""
    out = {"rss_kb": 0, "hwm_kb": 0}
    for each in descendants(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                out["rss_kb"] += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                out["hwm_kb"] += int(line.split()[1])
    return out


def run(argv: list, env: dict = None, cwd: Path = None, timeout: float = 600) -> str:
    """Runs a command to completion and returns its standard output; raises with its output on failure."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[:3]))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout
