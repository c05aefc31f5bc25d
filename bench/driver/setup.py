"""Fixtures of the scenarios: the test issuer, akless servers, their configuration through the `akless`
CLI, and the request bodies with freshly minted tokens."""

import base64
import json
import re
import time
import urllib.parse
from pathlib import Path

import procs

ROOT = Path(__file__).resolve().parents[2]
AKLESS = ROOT / "target" / "release" / "akless"
# The binary that serves; the CLI above configures it. `--akless-binary` replaces it for before/after runs.
AKLESS_SERVE = AKLESS
HELPER = ROOT / "target" / "release" / "akless-bench"

CLIENT_ID = "bench-client"
SUBJECT = "system:serviceaccount:bench:runner"
AUDIENCE = "https://api.bench.example"
EXCHANGE_QUERY = "/?Action=AssumeRoleWithOIDC&Version=2015-04-01"
TOKEN_PATH = "/api/v2/iauths_system/oauth2/token"
FORM = "application/x-www-form-urlencoded"


class Issuer:
    """The test OIDC issuer (`akless-bench issuer`): tenants live at `/t/<name>`."""

    def __init__(self, work: Path):
        self.dir = work / "issuer"
        self.service = procs.Service("issuer", [HELPER, "issuer", "--dir", self.dir], work / "issuer.log")
        deadline = time.monotonic() + 30
        while not (self.dir / "port").exists():
            if time.monotonic() > deadline or self.service.proc.poll() is not None:
                raise RuntimeError(f"the test issuer did not start; see {work / 'issuer.log'}")
            time.sleep(0.05)
        self.port = int((self.dir / "port").read_text())
        procs.wait_for_port(self.port)
        self.base = f"https://127.0.0.1:{self.port}"
        self.ca = self.dir / "ca.pem"
        self.fingerprint = (self.dir / "fingerprint").read_text().strip()

    def url(self, tenant: str) -> str:
        return f"{self.base}/t/{tenant}"

    def mint(self, alg: str, tenant: str) -> str:
        return procs.run([HELPER, "mint", "--dir", self.dir, "--alg", alg, "--iss", self.url(tenant),
                          "--aud", CLIENT_ID, "--sub", SUBJECT, "--ttl", "7200"]).strip()


class Akless:
    """One `akless serve` process on a free loopback port."""

    def __init__(self, work: Path, data_dir: Path, transport: str, issuer: Issuer, label: str,
                 wrapper: list = None):
        self.data_dir = data_dir
        self.transport = transport
        self.port = procs.free_port()
        argv = [AKLESS_SERVE, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{self.port}",
                "--allow-private-issuers", "--trust-ca-file", issuer.ca]
        if transport == "http":
            argv.append("--http")
        self.log = work / f"akless-{label}.log"
        self.service = procs.Service(f"akless {label}", (wrapper or []) + argv, self.log)
        self.service.wait_ready(self.port, timeout=120)
        self.url = f"{transport}://127.0.0.1:{self.port}"
        self.account = self._account_id()

    @property
    def pid(self) -> int:
        return self.service.pid

    def _account_id(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"account_id=(\d{16})", self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            time.sleep(0.05)
        raise RuntimeError(f"no account_id in {self.log}")

    def admin(self, *args) -> dict:
        """Runs an admin subcommand of the `akless` CLI against this server and returns its JSON output."""
        env = {
            "AKLESS_ENDPOINT": self.url,
            "ALIBABA_CLOUD_CREDENTIALS_FILE": str(self.data_dir / "root-credentials"),
            "AKLESS_CA_FILE": str(self.data_dir / "tls" / "ca.pem"),
        }
        out = procs.run([AKLESS, *args, "--output", "json"], env=env)
        return json.loads(out) if out.strip().startswith("{") else {}

    def stop(self) -> None:
        self.service.stop()


def provider_arn(account: str, name: str) -> str:
    return f"acs:ram::{account}:oidc-provider/{name}"


def exchange_body(account: str, provider: str, role: str, token: str) -> str:
    return urllib.parse.urlencode({
        "OIDCProviderArn": provider_arn(account, provider),
        "RoleArn": f"acs:ram::{account}:role/{role}",
        "RoleSessionName": "bench",
        "OIDCToken": token,
    })


def configure(server: Akless, issuer: Issuer, work: Path) -> dict:
    """Registers the providers, the role and its policy, and the issuer's resource server, client and
    grant; writes every request body the scenarios send. Returns the files and values."""
    providers = ["bench", "cold-https", "cold-http"]
    for name in providers:
        server.admin("oidc-provider", "create", "--name", name, "--issuer-url", issuer.url(name),
                     "--fingerprints", issuer.fingerprint, "--client-ids", CLIENT_ID)
    trust = {"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Federated": [provider_arn(server.account, p) for p in providers]},
        "Condition": {"StringEquals": {"oidc:aud": CLIENT_ID, "oidc:sub": SUBJECT}},
    }]}
    policy = {"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": ["oss:GetObject", "oss:ListObjects"],
        "Resource": ["acs:oss:*:*:bench-bucket", "acs:oss:*:*:bench-bucket/*"],
    }]}
    (work / "trust.json").write_text(json.dumps(trust))
    (work / "policy.json").write_text(json.dumps(policy))
    server.admin("role", "create", "--name", "bench-role", "--trust-policy", work / "trust.json")
    server.admin("policy", "create", "--name", "bench-policy", "--document", work / "policy.json")
    server.admin("role", "attach-policy", "--name", "bench-role", "--policy-name", "bench-policy")

    server.admin("resource-server", "create", "--name", "bench-api", "--identifier", AUDIENCE,
                 "--permissions", "read,write")
    secret_file = work / "client-secret"
    created = server.admin("client", "create", "--name", "bench-client", "--secret-out", secret_file)
    client_id = created["Client"]["ClientId"]
    server.admin("grant", "create", "--client-id", client_id, "--resource-server", "bench-api",
                 "--permissions", "read")
    secret = secret_file.read_text().strip()

    files = {}
    for alg in ["RS256", "ES256", "EdDSA"]:
        path = work / f"body-{alg}.txt"
        path.write_text(exchange_body(server.account, "bench", "bench-role", issuer.mint(alg, "bench")))
        files[alg] = path
    for transport in ["https", "http"]:
        path = work / f"body-cold-{transport}.txt"
        path.write_text(exchange_body(server.account, f"cold-{transport}", "bench-role",
                                      issuer.mint("RS256", f"cold-{transport}")))
        files[f"cold-{transport}"] = path
    token_body = work / "body-token.txt"
    token_body.write_text(urllib.parse.urlencode({"grant_type": "client_credentials", "scope": f"{AUDIENCE}|read"}))
    files["token"] = token_body
    basic = "Basic " + base64.b64encode(
        f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}".encode()).decode()
    return {"files": files, "basic": basic, "account": server.account, "client_id": client_id}
