"""The reviewers' pages: the review queue of a quarter and one region-quarter to approve, return
or reopen (indicators.services.review). Entry is in entry.py.

Permission checks go through regions.selectors (access_for); the services check them again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from certtrack.tables2 import CountedPaginator
from indicators.filters import ReviewQueueFilterSet
from indicators.forms import (
    QuarterPickForm,
    ReviewForm,
)
from indicators.models import Indicator
from indicators.periods import Quarter
from indicators.selectors.entry import (
    count_history,
    entry_quarters,
    next_waiting,
    queue_completeness,
    regions_entered_by,
    review_queue,
    review_queue_units,
    separation_applies,
    submission_for,
)
from indicators.services.review import counts_approve, counts_reopen, counts_return
from indicators.services.validation import StaleWrite
from indicators.tables import (
    ReviewQueueTable,
    value_column,
)
from indicators.views._common import (
    _period_or_400,
    _quarter_param,
    _service_errors,
    _with_versions,
)
from notifications.services import notifications_read_for
from regions.models import Region
from regions.selectors import access_for
from register.selectors import register_counts
from register.templatetags.register_tags import register_figures


def review_queue_page(request: HttpRequest) -> HttpResponse:
    """A reviewer's reporting units for a quarter: status, values, completeness."""
    if not access_for(request.user).can_review_anything:
        raise PermissionDenied(_("Only reviewers review counts."))
    period = _period_or_400(request.GET.get("period"), default=Quarter.last_complete())
    quarters = entry_quarters()
    queue = review_queue(user=request.user, period=period)
    filterset = ReviewQueueFilterSet(request.GET or None, queryset=queue)
    values = [(f"value_{i.code}", value_column(i)) for i in Indicator.objects.all()]
    table = ReviewQueueTable(
        filterset.qs,
        period=period,
        extra_columns=values,
        sequence=["region", "status", *(name for name, _c in values), "..."],
    )
    paginate = {"per_page": 50, "paginator_class": CountedPaginator}
    if not filterset.is_bound or (
        filterset.is_valid() and not filterset.form.cleaned_data["status"]
    ):
        # Without a status filter the rows are the units themselves: counted without joining
        # every unit's counts and people.
        units = review_queue_units(user=request.user)
        if filterset.is_bound:
            units = filterset.filter_queryset(units)
        paginate["known_count"] = units.count()
    RequestConfig(request, paginate=paginate).configure(table)
    if settings.CERTTRACK.get("SEPARATION_OF_DUTIES", True):
        # Of the units on this page only (the page's records are read here, once, and drawn
        # from the same result; as records, not rows, which would count towards the rows'
        # odd/even): every unit's events of the quarter were read for fifty rows.
        shown = list(table.page.object_list.data)
        table.own = regions_entered_by(user=request.user, period=period, regions=shown)
    return render(
        request,
        "indicators/review/review_queue.html",
        {
            "period": period,
            "pick": QuarterPickForm(initial={"period": str(period)}, quarters=quarters),
            "filter": filterset,
            "table": table,
            "completeness": queue_completeness(user=request.user, period=period),
            "deadline_days": settings.CERTTRACK["DEADLINE_DAYS"],
        },
    )


def review(request: HttpRequest, code: str, period: str) -> HttpResponse:
    """One region-quarter for a reviewer: values, changes, notes, history; approve/return/reopen."""
    region = get_object_or_404(Region, code=code, active=True)
    if not access_for(request.user).can_review(region):
        raise PermissionDenied(
            _("You may not review counts of %(region)s.") % {"region": region.name}
        )
    try:
        Quarter.parse(period)
    except ValueError as exc:
        raise Http404 from exc
    quarter = _quarter_param(period, "period")  # 1900Q1: a 400 naming the first quarter
    submission = submission_for(region=region, period=quarter)
    status = 200
    if request.method == "POST":
        status = 400  # unless decided (a redirect) or stale (409): the form shows what is wrong
        form = ReviewForm(request.POST, submission=submission)
        if form.is_valid():
            action = form.cleaned_data["action"]
            comment = form.cleaned_data["comment"]
            common = dict(
                user=request.user,
                region=region,
                period=quarter,
                expected_versions=form.expected_versions(),
            )
            try:
                if action == ReviewForm.APPROVE:
                    counts_approve(**common, comment=comment)
                    msg = _("%(region)s %(period)s approved; the values are now locked.")
                elif action == ReviewForm.RETURN:
                    counts_return(**common, comment=comment)
                    msg = _("%(region)s %(period)s returned to the official.")
                else:
                    counts_reopen(**common, reason=comment)
                    msg = _("%(region)s %(period)s reopened and returned to the official.")
            except StaleWrite as exc:
                status = 409
                submission = submission_for(region=region, period=quarter)
                form = ReviewForm(_with_versions(request.POST, submission), submission=submission)
                form.is_valid()
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _service_errors(form, exc, {"comment": "comment", "reason": "comment"})
            else:
                messages.success(request, msg % {"region": region.name, "period": quarter})
                return redirect("indicators:review", code=region.code, period=str(quarter))
    else:
        form = ReviewForm(submission=submission)
        notifications_read_for(user=request.user, region=region, period=quarter)
    return render(
        request,
        "indicators/review/review.html",
        {
            "region": region,
            "period": quarter,
            "submission": submission,
            "form": form,
            "history": count_history(region=region, period=quarter),
            # After a decision, straight on to the next submission waiting in this quarter.
            "next_waiting": next_waiting(user=request.user, period=quarter, after=region),
            "can_enter": access_for(request.user).can_enter(region),
            "register": register_figures(
                register_counts(region=region, period=quarter), submission.rows
            ),
            "register_share": f"{settings.CERTTRACK['REGISTER_DIFFERENCE_SHARE'] * 100:g}%",
            "own_entry": separation_applies(user=request.user, region=region, period=quarter),
        },
        status=status,
    )
