"""Security pieces that Django 5.2 does not ship: a Content-Security-Policy header, a request-size
limit with a clear page, the client address behind the reverse proxy, and the login lock-out page.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string


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


def client_ip(request: HttpRequest) -> str | None:
    """The browser's address, for login throttling.

    Behind the reverse proxy (``CERTTRACK_BEHIND_PROXY``) every request comes from 127.0.0.1;
    the proxy passes the real address in ``X-Real-IP`` (it overwrites any such header a client
    sends, and gunicorn listens on loopback only). Directly exposed, only ``REMOTE_ADDR`` counts.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        real = request.META.get("HTTP_X_REAL_IP", "").strip()
        if real:
            return real
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer once a username has failed too often from one address: 429 and a page
    that says why and for how long, in the user's language."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cooloff.total_seconds() / 60) if cooloff else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)
