"""Start and stop `akless agent` as a child process and read what it logs once ready."""

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .m2m import M2mClient, M2mSetup
from .server import AklessServer

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_TOKEN_FILE = re.compile(r"token file: (\S+)")
_CREDENTIALS_URI = re.compile(r"credentials URI: (http://127\.0\.0\.1:\d+/\S+)")
START_TIMEOUT_SECS = 30.0
STOP_TIMEOUT_SECS = 20.0


@dataclass
class AklessAgent:
    """A running `akless agent` and the token file and credentials URI it announced."""

    process: subprocess.Popen
    log_file: Path
    token_file: Path | None
    credentials_uri: str | None

    def log_text(self) -> str:
        return _ANSI_ESCAPE.sub("", self.log_file.read_text(errors="replace"))

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


def write_secret_file(path: Path, client: M2mClient) -> Path:
    """Write the client secret to `path` with mode 0600, as an operator stores it for the agent."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(client.secret + "\n")
    return path


def start_agent(
    binary: Path,
    server: AklessServer,
    setup: M2mSetup,
    work: Path,
    *,
    token_file: Path | None = None,
    session_name: str | None = None,
) -> AklessAgent:
    """Start `akless agent` for `setup.client` and wait until each requested part is ready.

    With `token_file`, the agent keeps a token in that file. With `session_name`, it also serves
    credentials for that role session on 127.0.0.1, on a port the system picks.
    """
    secret_file = write_secret_file(work / "client-secret", setup.client)
    command = [
        str(binary),
        "agent",
        "--issuer",
        setup.urls.issuer,
        "--client-id",
        setup.client.client_id,
        "--client-secret-file",
        str(secret_file),
        "--scope",
        setup.scope(),
        "--ca-file",
        str(server.ca_file),
        "--timeout",
        "10",
        "--max-retry-delay",
        "2",
    ]
    if token_file is not None:
        command += ["--token-file", str(token_file)]
    if session_name is not None:
        command += [
            "--credentials-listen",
            "127.0.0.1:0",
            "--role-arn",
            setup.role_arn,
            "--oidc-provider-arn",
            setup.provider_arn,
            "--role-session-name",
            session_name,
            "--sts-endpoint",
            f"https://{server.endpoint}",
        ]

    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AKLESS_", "ALIBABA_CLOUD_"))
    }
    env["NO_COLOR"] = "1"
    env.setdefault("RUST_LOG", "info")
    log_file = work / "agent.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work
        )
    agent = AklessAgent(process=process, log_file=log_file, token_file=None, credentials_uri=None)

    deadline = time.monotonic() + START_TIMEOUT_SECS
    while True:
        text = agent.log_text()
        token_match = _TOKEN_FILE.search(text)
        uri_match = _CREDENTIALS_URI.search(text)
        token_ready = token_file is None or token_match is not None
        uri_ready = session_name is None or uri_match is not None
        if token_ready and uri_ready:
            break
        if process.poll() is not None:
            raise RuntimeError(
                f"akless agent exited with code {process.returncode} before it was ready:\n{text}"
            )
        if time.monotonic() > deadline:
            agent.stop()
            raise TimeoutError(f"akless agent was not ready within {START_TIMEOUT_SECS} s:\n{text}")
        time.sleep(0.05)

    agent.token_file = Path(token_match.group(1)) if token_match else None
    agent.credentials_uri = uri_match.group(1) if uri_match else None
    return agent
