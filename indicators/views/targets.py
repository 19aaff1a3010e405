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
from indicators.selectors.allocation import allocation_page, shown_total
from indicators.selectors.assessment import COMPONENTS, region_assessment
from indicators.services.targets import allocation_difference_text, target_allocations_save
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
    the target is saved only when the user ticks the explicit confirmation, and the saved page
    says by how much."""
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
            result = target_allocations_save(
                target=target,
                values=posted,
                user=request.user,
                confirm_difference=request.POST.get("confirm_difference") == "1",
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if result.difference:
                messages.warning(
                    request,
                    _("Allocations saved as confirmed.")
                    + " "
                    + _difference_text(result.difference),
                )
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
    # The sum under the inputs is the sum of the values shown in them (saved, prefilled or
    # just posted), never of other values (issue 22.11).
    shown_sum = shown_total([(row, shown) for row, shown in rows if not row.is_zone])
    difference = shown_sum - target.value if shown_sum is not None else None
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
            "shown_sum": shown_sum,
            "difference": difference,
            "difference_text": _difference_text(difference) if difference else "",
        },
    )


_difference_text = allocation_difference_text


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
            "quarters": [as_of - i for i in range(12)],
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
