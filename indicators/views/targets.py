"""Target pages: a target's allocation to the divisions of its region (目标分解), and the
assessment ranking of a region's divisions with its JSON/CSV. Reads are in
selectors/allocation.py and selectors/assessment/, the write in services/targets.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import datasets
from indicators.forms import AssessmentWeightsForm
from indicators.models import AssessmentWeights, Plan, Target
from indicators.periods import Quarter
from indicators.selectors.allocation import allocation_page, shown_total
from indicators.selectors.assessment import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    region_assessment,
    weights_in_force,
)
from indicators.selectors.values import Inclusion
from indicators.services.targets import (
    allocation_difference_text,
    assessment_weights_set,
    target_allocations_save,
)
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
    status = 200
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
            status = 400  # the page again, with what was typed and why it was refused
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
        status=status,
    )


_difference_text = allocation_difference_text


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
    by default): rank, score and points, each row opening its derivation ("why this rank"),
    the weights in force with their decision."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    full = request.GET.get("why", "")
    result = region_assessment(
        region=region, period=as_of, include=include, listed=WHY_ROWS, listed_in_full=full
    )
    plan = result.weights.plan
    return render(
        request,
        "indicators/targets/assessment.html",
        {
            "region": region,
            "assessment": result,
            "rows": _why_rows(result.rows, full=full),
            "query": _query(request),
            "quarters": _assessment_quarters(as_of),
            "components": [(k, COMPONENT_LABELS[k], result.weights[k]) for k in COMPONENTS],
            "inclusions": list(Inclusion),
            "can_set_weights": plan is not None
            and plan.region is not None
            and access_for(request.user).can_manage_targets(plan.region),
        },
    )


# A division's "why this rank" lists at most this many of its units' quarters (the exceptions
# first: late, missing, returned); the rest behind a link (?why=<code>) and in the CSV. The
# nation's page listed 12,761 unit-quarters (2.2 MB) before (issue 25.3).
WHY_ROWS = 12


def _why_rows(rows, *, full: str) -> list[tuple[object, list, int]]:
    """Each ranking row with the reporting obligations its "why" shows and how many it leaves
    out: every one for the division ``full`` (the link's), else the first :data:`WHY_ROWS`,
    those that cost points first (late or not submitted, returned), in their order."""
    out = []
    for row in rows:
        # The selector listed at most WHY_ROWS of each division (those that cost points
        # first), all of them for ``full``; ``reporting_count`` is how many it counted.
        reporting = list(row.reporting)
        if row.region.code == full or row.reporting_count <= WHY_ROWS:
            out.append((row, reporting, 0))
            continue
        shown = sorted(reporting, key=lambda o: 0 if o.costs_points else 1)[:WHY_ROWS]
        out.append((row, shown, row.reporting_count - WHY_ROWS))
    return out


def assessment_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The assessment ranking as JSON or CSV (docs/api.md)."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    result = region_assessment(region=region, period=as_of, include=include)
    dataset = datasets.assessment_dataset(result)
    return _data_response(dataset, fmt, f"certtrack-{region.code}-assessment-{as_of}")


def assessment_weights(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A plan's assessment weights: the decision in force, its history (who, when, old → new)
    and, for a target manager of the plan's region, the form that records a new decision
    (:func:`assessment_weights_set`)."""
    plan = get_object_or_404(Plan.objects.select_related("region"), pk=plan_id)
    access = access_for(request.user)
    # Whoever sees a ranking under this plan sees its weights: the plan's region, or a region
    # with a target of the plan (a prefecture's allocation).
    regions = [plan.region] if plan.region is not None else []
    regions += [t.region for t in Target.objects.filter(plan=plan).select_related("region")]
    if not any(access.can_view(r) for r in regions):
        raise Http404(_("No such plan in your scope."))
    can_manage = plan.region is not None and access.can_manage_targets(plan.region)
    current = weights_in_force(plan)
    form = AssessmentWeightsForm(initial=dict(current.values))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("You may not set the assessment weights of this plan."))
        form = AssessmentWeightsForm(request.POST)
        try:
            assessment_weights_set(plan=plan, user=request.user, weights=request.POST)
        except ValidationError as exc:
            _errors_onto(form, exc)
        else:
            messages.success(request, _("The assessment weights are recorded."))
            back = _next(request.POST.get("next", ""))
            if back:
                return redirect(back)
            return redirect(reverse("indicators:assessment_weights", args=[plan.pk]))
    history = list(
        AssessmentWeights.objects.filter(plan=plan)
        .select_related("decided_by", "previous")
        .order_by("-decided_at", "-pk")
    )
    return render(
        request,
        "indicators/targets/assessment_weights.html",
        {
            "plan": plan,
            "current": current,
            "history": history,
            "form": form,
            "can_manage": can_manage,
            "labels": [(k, COMPONENT_LABELS[k]) for k in COMPONENTS],
            "next": _next(request.GET.get("next", "")),
            "default_text": "/".join(str(DEFAULT_WEIGHTS[c]) for c in COMPONENTS),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _next(url: str) -> str:
    """The ranking page to go back to: a path of this site under /regions/, else nothing."""
    ok = url.startswith("/regions/") and url_has_allowed_host_and_scheme(url, None)
    return url if ok else ""


def _errors_onto(form, exc: ValidationError) -> None:
    form.is_valid()
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(None if field == "__all__" else field, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
