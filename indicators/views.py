"""Views parse input, call selectors or services, and render; nothing is computed here."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from indicators.filters import ReviewQueueFilterSet
from indicators.forms import (
    SUBMIT,
    EntryPickForm,
    QuarterlyCountForm,
    QuarterPickForm,
    ReviewForm,
    value_field,
    version_field,
)
from indicators.models import Indicator
from indicators.periods import Quarter
from indicators.selectors import (
    Inclusion,
    count_history,
    entry_quarters,
    overview_cards,
    queue_completeness,
    review_queue,
    submission_for,
)
from indicators.services import (
    StaleWrite,
    change_warnings,
    check_period_open,
    counts_approve,
    counts_reopen,
    counts_return,
    counts_save,
)
from indicators.tables import ReviewQueueTable, value_column
from regions.models import Region
from regions.selectors import access_for, regions_enterable_by


def overview(request: HttpRequest) -> HttpResponse:
    """Home page: a card per plan in the user's scope with each target's progress."""
    include = Inclusion.parse(request.GET.get("values"))
    as_of = Quarter.last_complete()
    cards = overview_cards(user=request.user, as_of=as_of, include=include)
    return render(
        request,
        "indicators/overview.html",
        {"cards": cards, "as_of": as_of, "include": include, "inclusions": list(Inclusion)},
    )


# --- entry and review ------------------------------------------------------------------------
# Permission checks go through regions.selectors (access_for); the services check them again.


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


def _entry_url(region: Region, period: Quarter) -> str:
    return f"{reverse('indicators:entry')}?{urlencode({'region': region.code, 'period': period})}"


def entry(request: HttpRequest) -> HttpResponse:
    """An official enters both indicators of one of their regions for one quarter."""
    access = access_for(request.user)
    if not access.can_enter_anything:
        raise PermissionDenied(_("Only officials enter counts."))
    regions = regions_enterable_by(request.user).order_by("path")
    source = request.POST if request.method == "POST" else request.GET
    code = source.get("region")
    if code:
        region = get_object_or_404(Region, code=code)
        if not access.can_enter(region):
            raise PermissionDenied(
                _("You may not enter counts for %(region)s.") % {"region": region.name}
            )
    else:
        region = regions.first()
        if region is None:
            raise PermissionDenied(_("Only officials enter counts."))
    period = _period_or_400(source.get("period"), default=Quarter.last_complete())
    quarters = entry_quarters()
    period_error = None
    try:
        check_period_open(period)
    except ValidationError as exc:
        period_error = exc.messages[0]

    submission = submission_for(region=region, period=period)
    if request.method == "POST":
        form = QuarterlyCountForm(request.POST, submission=submission)
        if form.is_valid():
            submit = form.action == SUBMIT
            try:
                counts_save(
                    user=request.user,
                    region=region,
                    period=period,
                    values=form.values(),
                    expected_versions=form.expected_versions(),
                    note=form.cleaned_data["note"],
                    explanation=form.cleaned_data["explanation"],
                    submit=submit,
                )
            except StaleWrite as exc:
                submission = submission_for(region=region, period=period)
                form = QuarterlyCountForm(
                    _with_versions(request.POST, submission), submission=submission
                )
                form.is_valid()
                form.add_error(None, exc.message)
            except ValidationError as exc:
                fields = {r.indicator.code: value_field(r.indicator.code) for r in submission.rows}
                fields["explanation"] = "explanation"
                _service_errors(form, exc, fields)
            else:
                if submit:
                    msg = _("%(region)s %(period)s submitted for review.")
                else:
                    msg = _("%(region)s %(period)s saved as a draft.")
                messages.success(request, msg % {"region": region.name, "period": period})
                return redirect(_entry_url(region, period))
    else:
        form = QuarterlyCountForm(submission=submission)

    stored = {r.indicator.code: r.value for r in submission.rows if r.value is not None}
    previous = {r.indicator.code: r.previous for r in submission.rows}
    names = {r.indicator.code: r.indicator.name for r in submission.rows}
    warnings = [
        w.message(names[w.indicator_code])
        for w in change_warnings(values=stored, previous=previous)
    ]
    pick = EntryPickForm(
        initial={"region": region, "period": str(period)}, regions=regions, quarters=quarters
    )
    return render(
        request,
        "indicators/entry.html",
        {
            "region": region,
            "period": period,
            "pick": pick,
            "form": form,
            "submission": submission,
            "warnings": warnings,
            "period_error": period_error,
            "history": count_history(region=region, period=period),
            "share": settings.CERTTRACK["CHANGE_WARNING_SHARE"],
        },
    )


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
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(
        request,
        "indicators/review_queue.html",
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
        quarter = Quarter.parse(period)
    except ValueError as exc:
        raise Http404 from exc
    submission = submission_for(region=region, period=quarter)
    if request.method == "POST":
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
    return render(
        request,
        "indicators/review.html",
        {
            "region": region,
            "period": quarter,
            "submission": submission,
            "form": form,
            "history": count_history(region=region, period=quarter),
            "can_enter": access_for(request.user).can_enter(region),
        },
    )
