"""A tiny HTTP client for the bench and fault scripts: cookies, CSRF sign-in, the proxy's headers.

Standard library only. Talks to loopback addresses only (refuses anything else), and sends the
headers the TLS reverse proxy would add (X-Forwarded-Proto: https, X-Real-IP), so gunicorn runs
with the real production settings (secure cookies, HTTPS redirect) behind a pretend proxy.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass, field


def assert_loopback(host: str) -> None:
    addr = socket.gethostbyname(host)
    if not ipaddress.ip_address(addr).is_loopback:
        raise SystemExit(f"refusing to send traffic to {host} ({addr}): loopback only")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Session:
    """One user's browser: a keep-alive connection, a cookie jar, the proxy's headers."""

    host: str
    port: int
    timeout: float = 10.0
    client_ip: str = "127.0.0.1"
    language: str = "zh-hans"
    cookies: dict[str, str] = field(default_factory=dict)
    _conn: http.client.HTTPConnection | None = None

    def __post_init__(self) -> None:
        assert_loopback(self.host)

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        hdrs = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Real-IP": self.client_ip,
            "Accept-Language": self.language,
            **(headers or {}),
        }
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):  # one retry when a kept-alive connection was closed by the server
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=hdrs)
                raw = self._conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                val = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or val == '""':
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, referer: str | None = None) -> Response:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf_token(path), **data})
        return self.request(
            "POST",
            path,
            body=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": referer or f"{self.origin}{path}",
            },
        )

    def csrf_token(self, path: str) -> str:
        if "csrftoken" not in self.cookies:
            self.get(path)
        return self.cookies.get("csrftoken", "")

    def login(self, username: str, password: str) -> bool:
        self.get("/accounts/login/")
        r = self.post("/accounts/login/", {"username": username, "password": password})
        return r.status == 302 and "sessionid" in self.cookies
