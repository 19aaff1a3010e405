"""Target pages: a target's allocation to the divisions of its region (目标分解), and the
assessment ranking of a region's divisions with its JSON/CSV. Reads are in
selectors/allocation.py and selectors/assessment.py, the write in services/targets.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import datasets
from indicators.models import Target
from indicators.periods import Quarter
from indicators.selectors.allocation import allocation_page
from indicators.selectors.assessment import COMPONENTS, region_assessment
from indicators.services.targets import target_allocations_save
from indicators.views._common import _as_of, _include, _query, _visible_region
from indicators.views.data import _data_response
from regions.selectors import access_for

COMPONENT_LABELS = {
    "progress": gettext_lazy("Progress against targets"),
    "growth": gettext_lazy("Growth on a year earlier"),
    "timeliness": gettext_lazy("Timeliness of reporting"),
    "quality": gettext_lazy("Data quality"),
}

FIELD = "alloc-"


def _visible_target(request: HttpRequest, target_id: int) -> Target:
    target = get_object_or_404(
        Target.objects.select_related("plan", "region", "indicator", "allocated_from__region"),
        pk=target_id,
    )
    if not access_for(request.user).can_view(target.region):
        raise Http404(_("No such target in your scope."))
    return target


def allocation(request: HttpRequest, target_id: int) -> HttpResponse:
    """A target's allocation page: every division with its baseline and latest value and an
    input; ``?prefill=baseline|latest`` fills the inputs in proportion (not saved until the
    user saves). POST saves through :func:`target_allocations_save`; a sum that differs from
    the target is saved with a warning."""
    target = _visible_target(request, target_id)
    access = access_for(request.user)
    can_manage = access.can_manage_targets(target.region)
    include, as_of = _include(request), _as_of(request)
    prefill = request.GET.get("prefill")
    basis = prefill if prefill in ("baseline", "latest") else request.GET.get("basis", "baseline")
    posted: dict[int, str] = {}
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("You may not allocate the targets of this region."))
        posted = {
            key[len(FIELD) :]: value for key, value in request.POST.items() if key.startswith(FIELD)
        }
        try:
            result = target_allocations_save(target=target, values=posted, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if result.difference:
                messages.warning(request, _difference_text(result.difference))
            else:
                messages.success(request, _("Allocations saved; they add up to the target."))
            return redirect(reverse("indicators:target_allocation", args=[target.pk]))
    page = allocation_page(target=target, basis=basis, include=include, as_of=as_of)
    rows = []
    for row in page.rows:
        if str(row.region.pk) in posted:
            shown = posted[str(row.region.pk)]
        elif prefill in ("baseline", "latest") and row.prefill is not None:
            shown = row.prefill
        else:
            shown = row.allocated
        rows.append((row, "" if shown is None else shown))
    return render(
        request,
        "indicators/targets/allocation.html",
        {
            "page": page,
            "target": target,
            "rows": rows,
            "field": FIELD,
            "can_edit": can_manage and page.editable,
            "can_manage": can_manage,
            "prefilled": prefill in ("baseline", "latest"),
            "difference_text": _difference_text(page.difference) if page.difference else "",
        },
    )


def _difference_text(difference: int) -> str:
    if difference < 0:
        return _("The divisions' allocations are short of the target by %(n)s.") % {
            "n": f"{-difference:,}"
        }
    return _("The divisions' allocations are over the target by %(n)s.") % {"n": f"{difference:,}"}


def _assessment_quarters(as_of: Quarter) -> list[Quarter]:
    """The picker's quarters, newest first: the twelve up to the last complete one, and the
    one shown when it is older."""
    latest = Quarter.last_complete()
    quarters = [latest - i for i in range(12)]
    if as_of not in quarters:
        quarters = sorted({*quarters, as_of}, reverse=True)
    return quarters


def assessment(request: HttpRequest, code: str) -> HttpResponse:
    """The assessment ranking of a region's divisions at ``?as_of=`` (the last complete quarter
    by default), with each component, the points, the score and the rank."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    result = region_assessment(region=region, period=as_of, include=include)
    return render(
        request,
        "indicators/targets/assessment.html",
        {
            "region": region,
            "assessment": result,
            "query": _query(request),
            "quarters": _assessment_quarters(as_of),
            "components": [
                (k, COMPONENT_LABELS[k], result.weights[k], result.weight_shares[k])
                for k in COMPONENTS
            ],
        },
    )


def assessment_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The assessment ranking as JSON or CSV (docs/api.md)."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    result = region_assessment(region=region, period=as_of, include=include)
    dataset = datasets.assessment_dataset(result)
    return _data_response(dataset, fmt, f"certtrack-{region.code}-assessment-{as_of}")
