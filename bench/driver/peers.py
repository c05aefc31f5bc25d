"""The peers a user might pick instead of akless, run on loopback in the same run:

- moto's server (PyPI `moto[server]`) answering AWS STS AssumeRoleWithWebIdentity. moto checks
  nothing: no token signature, no issuer, no trust policy. It is the floor of "an STS mock".
- node `oidc-provider` (npm) issuing client_credentials access tokens as ES256 JWTs with
  client_secret_basic, configured like the akless token endpoint (bench/peers/oidc-provider).
"""

import base64
import urllib.parse
from pathlib import Path

import loadgen
import procs
import setup

BENCH = Path(__file__).resolve().parents[1]
VENV = BENCH / ".venv"
OIDC_PROVIDER_DIR = BENCH / "peers" / "oidc-provider"
PEER_CLIENT_ID = "bench-client"
PEER_CLIENT_SECRET = "bench-peer-secret-0123456789abcdef"


def versions() -> dict:
    out = {}
    try:
        out["moto"] = procs.run([VENV / "bin" / "python", "-c", "import moto; print(moto.__version__)"]).strip()
    except (RuntimeError, OSError):
        out["moto"] = None
    package = OIDC_PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
    if package.exists():
        import json
        out["oidc-provider"] = json.loads(package.read_text())["version"]
    try:
        out["node"] = procs.run(["node", "--version"]).strip()
    except (RuntimeError, OSError):
        out["node"] = None
    return out


def moto(work: Path, token: str, concurrencies: list, duration: float, log) -> dict:
    """AssumeRoleWithWebIdentity against `moto_server` over plain HTTP (moto serves no TLS of its own)."""
    port = procs.free_port()
    service = procs.Service("moto", [VENV / "bin" / "moto_server", "-H", "127.0.0.1", "-p", port],
                            work / "moto.log")
    try:
        service.wait_ready(port)
        body = work / "body-moto.txt"
        body.write_text(urllib.parse.urlencode({
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::123456789012:role/bench-role", "RoleSessionName": "bench",
            "WebIdentityToken": token,
        }))
        points = loadgen.series("moto AssumeRoleWithWebIdentity", f"http://127.0.0.1:{port}/", "post.lua",
                                [body, setup.FORM], concurrencies, duration, service.pid, log=log)
        return {"transport": "http", "points": points, "hwm_kb": procs.memory_kb(service.pid)["hwm_kb"]}
    finally:
        service.stop()


def oidc_provider(work: Path, issuer: setup.Issuer, transport: str, workers: int, concurrencies: list,
                  duration: float, log) -> dict:
    """client_credentials at node oidc-provider's token endpoint, one process or a cluster of `workers`."""
    port = procs.free_port()
    env = {
        "NODE_ENV": "production", "PORT": str(port), "WORKERS": str(workers),
        "CLIENT_ID": PEER_CLIENT_ID, "CLIENT_SECRET": PEER_CLIENT_SECRET, "AUDIENCE": setup.AUDIENCE,
    }
    if transport == "https":
        env["TLS_CERT"] = str(issuer.dir / "leaf-chain.pem")
        env["TLS_KEY"] = str(issuer.dir / "leaf-key.pem")
    service = procs.Service(f"oidc-provider {transport} x{workers}", ["node", "server.mjs"],
                            work / f"oidc-provider-{transport}-{workers}.log", env=env, cwd=OIDC_PROVIDER_DIR)
    try:
        service.wait_ready(port)
        body = work / "body-oidc-provider.txt"
        body.write_text(urllib.parse.urlencode({
            "grant_type": "client_credentials", "scope": "read", "resource": setup.AUDIENCE,
        }))
        basic = "Basic " + base64.b64encode(f"{PEER_CLIENT_ID}:{PEER_CLIENT_SECRET}".encode()).decode()
        points = loadgen.series(f"oidc-provider {transport} x{workers}", f"{transport}://127.0.0.1:{port}/token",
                                "post.lua", [body, setup.FORM, basic], concurrencies, duration, service.pid, log=log)
        return {"transport": transport, "workers": workers, "points": points,
                "hwm_kb": procs.memory_kb(service.pid)["hwm_kb"]}
    finally:
        service.stop()
