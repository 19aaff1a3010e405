"""Real directory servers for the tests, each a subprocess on a port of its own, in a temp dir:

* :class:`Slapd`: Debian's OpenLDAP server (``slapd``) with a small test directory (people
  and groupOfNames groups under ``dc=certtrack,dc=test``);
* :class:`OIDCProvider`: an OpenID Connect provider, a tiny Django project on
  django-oauth-toolkit (tests/accounts/oidc_provider/), serving discovery, JWKS and userinfo
  with a ``groups`` claim.

Where a server cannot be started the caller skips with the reason (CI installs both:
.ci/run). Writes to the directory go through python-ldap as the directory's manager.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = "dc=certtrack,dc=test"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
MANAGER = f"cn=manager,{BASE}"
MANAGER_PASSWORD = "manager-secret"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class ServerUnavailable(Exception):
    """The server cannot be installed or started here (the message says why)."""


class Slapd:
    """``slapd -f <temp>/slapd.conf -h ldap://127.0.0.1:<port>/`` with an mdb database."""

    def __init__(self) -> None:
        if not os.path.exists(SLAPD):
            raise ServerUnavailable("slapd is not installed (apt-get install slapd ldap-utils)")
        if not (SCHEMA / "inetorgperson.schema").exists():
            raise ServerUnavailable(f"{SCHEMA}/inetorgperson.schema is missing (package slapd)")
        self.dir = Path(tempfile.mkdtemp(prefix="certtrack-slapd-"))
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}/"
        (self.dir / "db").mkdir()
        conf = self.dir / "slapd.conf"
        mdb = MODULES / "back_mdb.so"
        conf.write_text(
            "\n".join(
                [
                    *(f"include {SCHEMA / n}.schema" for n in ("core", "cosine", "inetorgperson")),
                    f"pidfile {self.dir / 'slapd.pid'}",
                    *([f"modulepath {MODULES}", "moduleload back_mdb"] if mdb.exists() else []),
                    "database mdb",
                    f"suffix {BASE}",
                    f"rootdn {MANAGER}",
                    f"rootpw {MANAGER_PASSWORD}",
                    f"directory {self.dir / 'db'}",
                    "maxsize 10485760",
                    "access to attrs=userPassword by self read by anonymous auth by * none",
                    "access to * by * read",
                    "",
                ]
            )
        )
        self.log = open(self.dir / "slapd.log", "w")
        self.proc = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.uri, "-d", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_port(self.port, self.proc)
        except RuntimeError as exc:
            self.stop()
            raise ServerUnavailable(f"slapd did not start: {exc}: {self.log_text()}") from None
        self._seed()

    def log_text(self) -> str:
        try:
            return (self.dir / "slapd.log").read_text()[-2000:]
        except OSError:
            return ""

    def connection(self):
        import ldap

        conn = ldap.initialize(self.uri)
        conn.simple_bind_s(MANAGER, MANAGER_PASSWORD)
        return conn

    def _seed(self) -> None:
        conn = self.connection()
        conn.add_s(BASE, _attrs(objectClass=["dcObject", "organization"], dc="certtrack", o="T"))
        conn.add_s(PEOPLE, _attrs(objectClass=["organizationalUnit"], ou="people"))
        conn.add_s(GROUPS, _attrs(objectClass=["organizationalUnit"], ou="groups"))
        conn.unbind_s()

    def add_person(
        self, uid: str, password: str, *, cn: str, display_name: str = "", mail: str = ""
    ):
        attrs = dict(objectClass=["inetOrgPerson"], uid=uid, cn=cn, sn=cn, userPassword=password)
        if display_name:
            attrs["displayName"] = display_name
        if mail:
            attrs["mail"] = mail
        conn = self.connection()
        conn.add_s(f"uid={uid},{PEOPLE}", _attrs(**attrs))
        conn.unbind_s()
        return f"uid={uid},{PEOPLE}"

    def set_group(self, cn: str, members: list[str]) -> str:
        """Create or replace the group ``cn`` with ``members`` (DNs); returns its DN."""
        import ldap

        dn = f"cn={cn},{GROUPS}"
        conn = self.connection()
        # groupOfNames needs a member: the manager stands in for an empty group.
        values = [m.encode() for m in (members or [MANAGER])]
        try:
            conn.add_s(dn, _attrs(objectClass=["groupOfNames"], cn=cn) + [("member", values)])
        except ldap.ALREADY_EXISTS:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "member", values)])
        conn.unbind_s()
        return dn

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _attrs(**values) -> list[tuple[str, list[bytes]]]:
    out = []
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        out.append((key, [v.encode() for v in items]))
    return out


class OIDCProvider:
    """django-oauth-toolkit with OpenID Connect on (tests/accounts/oidc_provider/), served by
    Django's development server in a process of its own, on a port of its own."""

    CLIENT_ID = "certtrack-test"
    CLIENT_SECRET = "certtrack-test-secret"

    def __init__(self, *, redirect_uri: str) -> None:
        try:
            import oauth2_provider  # noqa: F401
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
        except ImportError as exc:
            raise ServerUnavailable(
                f"{exc.name} is not installed (pip install -r requirements-dev.txt)"
            ) from None
        self.dir = Path(tempfile.mkdtemp(prefix="certtrack-oidc-"))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.dir / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.discovery_url = f"{self.url}/o/.well-known/openid-configuration/"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "OIDC_TEST_DIR": str(self.dir),
        }
        self.manage("setup", self.CLIENT_ID, self.CLIENT_SECRET, redirect_uri)
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(
            [*self._cmd(), "runserver", "--noreload", "--nothreading", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=ROOT,
        )
        try:
            _wait_port(self.port, self.proc)
        except RuntimeError as exc:
            self.stop()
            raise ServerUnavailable(f"the OIDC provider did not start: {exc}") from None

    def _cmd(self) -> list[str]:
        return [sys.executable, "-m", "tests.accounts.oidc_provider.manage"]

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [*self._cmd(), *args], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode:
            raise ServerUnavailable(f"provider {args[0]}: {result.stderr[-2000:]}")

    def person(self, username: str, password: str, *, name: str, email: str, groups: list[str]):
        self.manage("person", username, password, name, email, *groups)

    def stop(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


ROOT = Path(__file__).resolve().parents[2]
