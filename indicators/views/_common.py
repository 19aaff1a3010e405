"""Request parsing shared by the views (the values and quarter shown, the region in scope,
service errors onto forms); no page is rendered here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from certtrack.params import BadParameter
from indicators.forms import (
    version_field,
)
from indicators.periods import Quarter, first_quarter
from indicators.selectors.values import Inclusion
from regions.models import Region
from regions.selectors import access_for


def _include(request: HttpRequest) -> Inclusion:
    return Inclusion.parse(request.GET.get("values"))


def _as_of(request: HttpRequest) -> Quarter:
    """The last complete quarter, or an earlier one asked for with ``?as_of=2024Q4`` (a later
    one stands for the last complete quarter); an invalid one, or one before the first quarter
    CertTrack holds, is a 400 naming the parameter."""
    last = Quarter.last_complete()
    return min(_quarter_param(request.GET, "as_of", default=last), last)


def _quarter_param(source, name: str, *, default: Quarter | None = None) -> Quarter | None:
    """The quarter in ``source[name]`` (a QueryDict, or the text itself in a path parameter),
    ``default`` when absent. A value that is not a quarter, or one before
    ``CERTTRACK_FIRST_QUARTER`` (e.g. ``1900Q1``), raises :class:`BadParameter` (a 400)."""
    text = source.get(name, "") if hasattr(source, "get") else source
    if not text:
        return default
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        raise BadParameter(
            name,
            text,
            _("“%(value)s” is not a quarter (write e.g. 2026Q3).") % {"value": text[:20]},
        ) from None
    first = first_quarter()
    if quarter < first:
        raise BadParameter(
            name,
            text,
            _("%(period)s is before %(first)s, the first quarter CertTrack holds counts for.")
            % {"period": quarter, "first": first},
        )
    return quarter


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


def _period_or_400(text: str | None, *, default: Quarter, name: str = "period") -> Quarter:
    return _quarter_param(text or "", name, default=default)


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
