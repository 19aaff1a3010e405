"""Security pieces that Django 5.2 does not ship: a Content-Security-Policy header, a request-size
limit with a clear page, the client address behind trusted reverse proxies, and the login
lock-out page.
"""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from certtrack.params import BadParameter


def csp_header_value(policy: dict[str, list[str]]) -> str:
    """``{"default-src": ["'self'"], ...}`` -> ``"default-src 'self'; ..."``."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send ``settings.SECURE_CSP`` as the Content-Security-Policy of every response.

    The policy allows scripts only from this site (no inline script, no eval), so chart code
    lives in static .js files and figure data travels in ``json_script`` blocks. The setting has
    the shape of Django 6's ``SECURE_CSP``: on Django 6, replace this middleware with
    ``django.middleware.csp.ContentSecurityPolicyMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = csp_header_value(settings.SECURE_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Content-Security-Policy", self.header)
        return response


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 with a page that says what the limit is (rendered without touching the database)."""
    limit_mb = settings.CERTTRACK_MAX_REQUEST_SIZE / (1024 * 1024)
    html = render_to_string("413.html", {"limit_mb": f"{limit_mb:g}"})
    return HttpResponse(html, status=413)


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than ``CERTTRACK_MAX_REQUEST_SIZE`` before reading it.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bounds form fields but not uploaded files, which it
    spools to a temporary file of any size; this bounds the whole body, uploads included, by its
    Content-Length. The reverse proxy's ``client_max_body_size`` should say the same
    (docs/deploy.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.CERTTRACK_MAX_REQUEST_SIZE:
            return too_large_response(request)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path or in any query or form parameter is a 400 naming it.

    No CertTrack parameter can hold one, and PostgreSQL refuses it in any string (psycopg2
    raises ValueError, a 500), wherever the value would reach a query: one rule here instead of
    a check before every lookup. Uploaded files are left to the views' forms.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise BadParameter("path", request.path.replace("\x00", "\\0"), _NUL_MESSAGE())
        sources = [request.GET]
        if request.method == "POST":
            sources.append(request.POST)  # form fields; uploaded files stay with the views
        for source in sources:
            for name, values in source.lists():
                if "\x00" in name or any("\x00" in v for v in values):
                    shown = next((v for v in values if "\x00" in v), name)
                    raise BadParameter(
                        name.replace("\x00", ""), shown.replace("\x00", "\\0"), _NUL_MESSAGE()
                    )
        return self.get_response(request)


class RejectBadHeadersMiddleware:
    """A NUL, another control character or bytes that are not UTF-8 in a cookie or any other
    request header is a 400 naming the header, like a NUL in the path or a parameter.

    The app reads several headers and stores some (the session cookie is looked up in the
    database, django-axes records the User-Agent of a failed sign-in, the language cookie and
    Accept-Language choose the translation, Referer and Origin are checked by CSRF): PostgreSQL
    refuses a NUL in any string (a 500 otherwise), and undecodable bytes would be stored as
    replacement characters. No browser sends either. Placed before the session middleware, so
    that nothing has read a header yet; the 400 page is rendered without the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, raw in request.META.items():
            if not key.startswith("HTTP_") or not isinstance(raw, str):
                continue
            problem = _header_problem(raw)
            if problem:
                name = key[5:].replace("_", "-").title()
                shown = raw.encode("latin-1", "replace").decode("utf-8", "replace")
                shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in shown)
                raise BadParameter(name, shown, problem)
        return self.get_response(request)


def _header_problem(raw: str) -> str:
    """Why a header's value (a WSGI string: its bytes as Latin-1) is refused, or ""."""
    if raw.isascii() and raw.isprintable():
        return ""
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return _("A header holds bytes that are not UTF-8 text, which no browser sends.")
    if "\x00" in text:
        return _NUL_MESSAGE()
    if any(ord(ch) < 32 and ch != "\t" or ord(ch) == 127 for ch in text):
        return _("A header holds a control character, which no browser sends.")
    return ""


def _NUL_MESSAGE() -> str:  # noqa: N802 (a message, translated when raised)
    return _("A parameter holds a NUL character, which no CertTrack value can contain.")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, proxies) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_ip(request: HttpRequest) -> str | None:
    """The browser's address, for login throttling (django-axes counts failures by username and
    this address).

    ``X-Real-IP`` and ``X-Forwarded-For`` are believed only when the request comes from a proxy
    named in ``CERTTRACK_TRUSTED_PROXIES`` (addresses or networks); by default none is named and
    the socket's address counts, so a client that reaches gunicorn directly cannot pick its own
    address with a header. From a trusted proxy: its ``X-Real-IP`` if that is not itself a
    trusted proxy, else the right-most address of ``X-Forwarded-For`` that is not a trusted
    proxy (the left-most entries are whatever the client sent). An unreadable header counts as
    absent.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "CERTTRACK_TRUSTED_PROXIES", [])
    if not proxies or not _trusted(_address(remote or ""), proxies):
        return remote
    real = _address(request.META.get("HTTP_X_REAL_IP", ""))
    if real is not None and not _trusted(real, proxies):
        return str(real)
    hops = [_address(h) for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop is None:
            break  # a forged or garbled entry: nothing to its left can be believed
        if not _trusted(hop, proxies):
            return str(hop)
    return remote


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer once a username has failed too often from one address: 429 and a page
    that says why and for how long, in the user's language."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cooloff.total_seconds() / 60) if cooloff else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)
