"""The officials' entry page: one region-quarter's form, saved or submitted through
indicators.services.counts. Reviewing is in review.py, the Excel import in reports.py.

Permission checks go through regions.selectors (access_for); the services check them again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certtrack.params import BadParameter
from indicators.forms import (
    SUBMIT,
    EntryPickForm,
    QuarterlyCountForm,
    value_field,
)
from indicators.periods import Quarter
from indicators.selectors.entry import (
    count_history,
    entry_quarters,
    submission_for,
)
from indicators.services.counts import counts_save, counts_withdraw
from indicators.services.validation import (
    MAX_VERSION,
    StaleWrite,
    change_warnings,
    check_period_open,
    parse_whole,
)
from indicators.views._common import (
    _period_or_400,
    _service_errors,
    _with_versions,
)
from notifications.services import notifications_read_for
from regions.models import Region
from regions.selectors import access_for, regions_enterable_by
from register.selectors import register_counts
from register.templatetags.register_tags import register_figures
from work.selectors.todo import entry_start


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
    region = None
    if code:
        # A code is a few digits: other text (a NUL, which PostgreSQL refuses in a query, or a
        # very long string) is no region, and never reaches the database.
        if len(code) > 20 or not code.isprintable():
            raise Http404
        region = get_object_or_404(Region, code=code)
        if not access.can_enter(region):
            raise PermissionDenied(
                _("You may not enter counts for %(region)s.") % {"region": region.name}
            )
    # Without a quarter asked for, open on the one that needs action (the to-do's first).
    start = (
        None
        if source.get("period")
        else entry_start(request.user, today=timezone.localdate(), region=region)
    )
    if region is None:
        region = start.region if start else regions.first()
        if region is None:
            raise PermissionDenied(_("Only officials enter counts."))
    default = start.period if start else Quarter.last_complete()
    period = _period_or_400(source.get("period"), default=default)
    quarters = entry_quarters()
    period_error = None
    try:
        check_period_open(period)
    except ValidationError as exc:
        period_error = exc.messages[0]

    submission = submission_for(region=region, period=period)
    status = 200
    register = register_counts(region=region, period=period)
    if request.method == "POST":
        status = 400  # unless saved (a redirect) or stale (409): the form shows what is wrong
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
                status = 409
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
        # "Fill in from the register": the register's values as the form's starting values
        # (nothing is saved until the official saves).
        fill = source.get("fill") == "register" and submission.editable
        initial = {value_field(code): v for code, v in register.items() if v is not None}
        form = QuarterlyCountForm(submission=submission, initial=initial if fill else None)
        # The notices about this quarter are read: its page is open.
        notifications_read_for(user=request.user, region=region, period=period)

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
        "indicators/entry/entry.html",
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
            "register": register_figures(register, submission.rows),
            "fill_url": f"{_entry_url(region, period)}&fill=register",
        },
        status=status,
    )


@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    """An official takes back a submission no reviewer has acted on (it becomes a draft)."""
    region = get_object_or_404(Region, code=request.POST.get("region", ""), active=True)
    if not access_for(request.user).can_enter(region):
        raise PermissionDenied(
            _("You may not withdraw counts of %(region)s.") % {"region": region.name}
        )
    period = _period_or_400(request.POST.get("period"), default=Quarter.last_complete())
    versions = {}
    for key, value in request.POST.items():
        if key.startswith("version_"):
            try:  # the one parser: "²", "①", "1_000" or 5,000 digits are no version
                versions[key.removeprefix("version_")] = parse_whole(
                    value, minimum=1, maximum=MAX_VERSION
                )
            except ValidationError as exc:
                raise BadParameter(key, value, " ".join(exc.messages)) from exc
    try:
        counts_withdraw(
            user=request.user, region=region, period=period, expected_versions=versions or None
        )
    except StaleWrite as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(region)s %(period)s withdrawn: it is a draft again.")
            % {"region": region.name, "period": period},
        )
    return redirect(_entry_url(region, period))
