"""Project-level views: the health probe and the error pages that must work without a database."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from certtrack.security import too_large_response

log = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and monitoring: is the database answering?

    200 ``{"status": "ok"}`` when a ``SELECT 1`` succeeds, else 503 ``{"status": "unavailable"}``
    so that a load balancer takes this app server out of rotation until the database is back.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("healthz: database unavailable: %s", exc)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: an oversized form gets the 413 page that names the limit; the rest a 400 page."""
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    return HttpResponseBadRequest(render_to_string("400.html"))
