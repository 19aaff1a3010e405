"""Project-level views: the health probe and the error pages that must work without a database."""

from __future__ import annotations

import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from certtrack.logs import DATABASE_UNAVAILABLE
from certtrack.params import BadParameter
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


# Data endpoints (docs/api.md) answer a bad parameter in JSON, the CSV ones too: a script reading
# them checks the status and reads the reason; a spreadsheet never opens an error page as data.
DATA_SUFFIXES = (".json", ".csv")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: an oversized form gets the 413 page that names the limit; a bad parameter
    (:class:`certtrack.params.BadParameter`) the 400 page naming it and why, or JSON at a data
    endpoint; anything else the plain 400 page. Values are echoed escaped (template) or in JSON.
    """
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    if isinstance(exception, BadParameter):
        if request.path.endswith(DATA_SUFFIXES):
            return JsonResponse(
                exception.as_json(), status=400, json_dumps_params={"ensure_ascii": False}
            )
        context = {
            "parameter": exception.parameter,
            "value": exception.value,
            "message": exception.message,
        }
        return HttpResponseBadRequest(render_to_string("400.html", context, request=None))
    return HttpResponseBadRequest(render_to_string("400.html"))


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 page while the database is away; rendered without touching it (no context processors).

    Nothing else is needed for recovery: with CONN_HEALTH_CHECKS each request checks its
    persistent connection and opens a new one once the database answers again.
    """
    html = render_to_string("503.html", {"refresh": request.method in ("GET", "HEAD")})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a clear 503 when the database is down, the plain 500 page otherwise.

    Called by Django for any uncaught exception, wherever it was raised (a view, a template, a
    context processor, the session or login middleware), while the exception is being handled.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return HttpResponseServerError(render_to_string("500.html"))
