"""Start and stop one `akless serve` process on a fresh data directory."""

import configparser
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on https://127\.0\.0\.1:(\d+)")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
START_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 20.0


@dataclass
class AklessServer:
    """A running `akless serve` child process and what it wrote on first start."""

    process: subprocess.Popen
    port: int
    data_dir: Path
    log_file: Path
    ca_file: Path
    """The local CA that signed the listener certificate (DATA_DIR/tls/ca.pem)."""
    root_access_key_id: str
    root_access_key_secret: str

    @property
    def endpoint(self) -> str:
        """Return `host:port`, the form the SDK `Config.endpoint` and `sts_endpoint` take."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def log_tail(self, lines: int = 60) -> str:
        text = _ANSI_ESCAPE.sub("", self.log_file.read_text(errors="replace"))
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int:
        """Send SIGTERM, wait for the exit and return the exit code (killed after the timeout)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_SECS)
        return self.process.returncode


def find_binary(repo_root: Path = REPO_ROOT) -> Path:
    """Return the akless binary from `AKLESS_BIN`, else `target/debug/akless` under the repository."""
    configured = os.environ.get("AKLESS_BIN")
    binary = Path(configured) if configured else repo_root / "target" / "debug" / "akless"
    if not binary.is_absolute():
        binary = repo_root / binary
    if not binary.is_file():
        raise FileNotFoundError(
            f"akless binary not found at {binary}; run `cargo build -p akless` or set AKLESS_BIN"
        )
    return binary


def read_root_credentials(path: Path) -> tuple[str, str]:
    """Read `access_key_id` and `access_key_secret` from the `[default]` section of the INI file."""
    parser = configparser.ConfigParser()
    parser.read_string(path.read_text())
    section = parser["default"]
    if section.get("type") != "access_key":
        raise ValueError(f"{path}: expected type = access_key, found {section.get('type')!r}")
    return section["access_key_id"], section["access_key_secret"]


def start_server(binary: Path, data_dir: Path, trust_ca_file: Path, log_file: Path) -> AklessServer:
    """Start `akless serve` on 127.0.0.1 port 0 and wait until it logs its listening URL."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.setdefault("RUST_LOG", "info")
    command = [
        str(binary),
        "serve",
        "--data-dir",
        str(data_dir),
        "--listen",
        "127.0.0.1:0",
        "--allow-private-issuers",
        "--trust-ca-file",
        str(trust_ca_file),
    ]
    log = log_file.open("wb")
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
    )
    log.close()

    deadline = time.monotonic() + START_TIMEOUT_SECS
    port = None
    while port is None:
        text = _ANSI_ESCAPE.sub("", log_file.read_text(errors="replace"))
        match = _LISTENING.search(text)
        if match:
            port = int(match.group(1))
        elif process.poll() is not None:
            raise RuntimeError(
                f"akless serve exited with code {process.returncode} before listening:\n{text}"
            )
        elif time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise TimeoutError(
                f"akless serve did not log 'listening on https://…' within {START_TIMEOUT_SECS} s:\n{text}"
            )
        else:
            time.sleep(0.05)

    ca_file = data_dir / "tls" / "ca.pem"
    access_key_id, secret = read_root_credentials(data_dir / "root-credentials")
    return AklessServer(
        process=process,
        port=port,
        data_dir=data_dir,
        log_file=log_file,
        ca_file=ca_file,
        root_access_key_id=access_key_id,
        root_access_key_secret=secret,
    )
