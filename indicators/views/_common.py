"""Request parsing shared by the views (the values and quarter shown, the region in scope,
service errors onto forms); no page is rendered here."""

from __future__ import annotations

from django.core.exceptions import BadRequest, ValidationError
from django.http import (
    Http404,
    HttpRequest,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from indicators.forms import (
    version_field,
)
from indicators.periods import Quarter
from indicators.selectors.values import Inclusion
from regions.models import Region
from regions.selectors import access_for


def _include(request: HttpRequest) -> Inclusion:
    return Inclusion.parse(request.GET.get("values"))


def _as_of(request: HttpRequest) -> Quarter:
    """The last complete quarter, or an earlier one asked for with ``?as_of=2024Q4``."""
    last = Quarter.last_complete()
    try:
        asked = Quarter.parse(request.GET.get("as_of", ""))
    except ValueError:
        return last
    return min(asked, last)


def _visible_region(request: HttpRequest, code: str) -> Region:
    region = get_object_or_404(Region, code=code, active=True)
    if not access_for(request.user).can_view(region):
        raise Http404("No such region in your scope.")
    return region


def _query(request: HttpRequest) -> str:
    """The page's data choices, carried into links and data URLs."""
    params = []
    if "values" in request.GET:
        params.append(f"values={_include(request).value}")
    if "as_of" in request.GET:
        params.append(f"as_of={_as_of(request)}")
    return ("?" + "&".join(params)) if params else ""


def _period_or_400(text: str | None, *, default: Quarter) -> Quarter:
    if not text:
        return default
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise BadRequest(_("“%(value)s” is not a quarter.") % {"value": text[:20]}) from exc


def _service_errors(form, exc: ValidationError, fields: dict[str, str]) -> None:
    """Put a service's ValidationError on the form fields (``fields`` maps keys to fields)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages_ in exc.message_dict.items():
        field = fields.get(key)
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _with_versions(data, submission) -> dict:
    """The user's input with the versions now stored: after a stale write, the user has been
    told what changed and may save again deliberately."""
    data = data.copy()
    for row in submission.rows:
        data[version_field(row.indicator.code)] = row.version or ""
    return data
