"""Views parse input, call selectors or services, and render; nothing is computed here.

Every page and data endpoint of a region or plan checks ``regions.selectors.access_for`` through
``_visible_region`` / ``plan_visible_to``: a region or plan outside the user's scope is a 404
(its existence is not confirmed), for the JSON and CSV exactly as for the page.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from indicators import charts, datasets
from indicators.exports import import_template_workbook, report_filename, report_workbook
from indicators.filters import ReviewQueueFilterSet
from indicators.forms import (
    SUBMIT,
    EntryPickForm,
    ImportUploadForm,
    QuarterlyCountForm,
    QuarterPickForm,
    ReportForm,
    ReviewForm,
    value_field,
    version_field,
)
from indicators.imports import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    ImportChange,
    ImportIssue,
    StoredCount,
    parse_counts_workbook,
    plan_changes,
)
from indicators.models import Indicator, Plan
from indicators.pagecache import cached_part, cached_value
from indicators.periods import Quarter
from indicators.selectors.completeness import REPORT_STATUS_ORDER
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.entry import (
    count_history,
    entry_quarters,
    queue_completeness,
    review_queue,
    submission_for,
)
from indicators.selectors.plans import (
    overview_plan_cards,
    plan_page,
    plan_visible_to,
    plans_visible_to,
)
from indicators.selectors.reports import import_template_rows, report_data, stored_counts
from indicators.selectors.values import Inclusion
from indicators.services.counts import counts_save
from indicators.services.imports import ImportRejected, counts_import
from indicators.services.review import counts_approve, counts_reopen, counts_return
from indicators.services.validation import StaleWrite, change_warnings, check_period_open
from indicators.tables import (
    ChildrenTable,
    CompletenessTable,
    ReviewQueueTable,
    SeriesTable,
    TargetProgressTable,
    value_column,
)
from regions.models import Region
from regions.selectors import access_for, region_ancestors, regions_enterable_by, regions_visible_to


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


def _data_response(dataset: datasets.Dataset, fmt: str, filename: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(dataset.as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    return JsonResponse(dataset.as_json(), json_dumps_params={"ensure_ascii": False})


def _data_links(url_name: str, args: list, dataset: str, query: str) -> dict:
    return {fmt: reverse(url_name, args=[*args, dataset, fmt]) + query for fmt in ("json", "csv")}


OVERVIEW_PLANS_PER_PAGE = 10


def overview(request: HttpRequest) -> HttpResponse:
    """Home page: a card per plan in the user's scope with each target's progress and trend."""
    include = _include(request)
    as_of = _as_of(request)
    # At national scale a leader's scope holds hundreds of plans: one page of cards at a time.
    page = Paginator(plans_visible_to(request.user), OVERVIEW_PLANS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    cards = overview_plan_cards(
        user=request.user, as_of=as_of, include=include, plans=page.object_list
    )
    query = _query(request)
    if page.paginator.num_pages > 1:  # the data links give this page's numbers
        query += ("&" if query else "?") + f"page={page.number}"
    items = [
        {
            "card": card,
            "table": TargetProgressTable(card.rows, values=request.GET.get("values", "")),
        }
        for card in cards
    ]
    return render(
        request,
        "indicators/overview.html",
        {
            "cards": cards,
            "items": items,
            "page": page,
            "as_of": as_of,
            "include": include,
            "inclusions": list(Inclusion),
            "data": {
                name: _data_links("indicators:overview_data", [], name, query)
                for name in ("targets", "trends")
            },
        },
    )


def _empty_series_columns(panel) -> list[str]:
    """Columns of the series table with nothing in them for this region (no targets, no
    direct value beside a roll-up): left out rather than shown as rows of dashes."""
    empty = []
    if not any(p.milestone is not None for p in panel.series):
        empty.append("milestone")
    if panel.forecast is None:
        empty.append("forecast")
    if not panel.targets:
        empty.append("targets")
    if not any(
        p.row is not None and p.row.source.value == "direct" and p.row.children_sum is not None
        for p in panel.series
    ):
        empty.append("children_sum")
    return empty


def region_dashboard_view(request: HttpRequest, code: str) -> HttpResponse:
    """A region's dashboard: per indicator the quarterly chart with targets, milestone path and
    forecast, the children's breakdown and the completeness heatmap, each with its table.

    Everything below the breadcrumbs is the same for everyone who may see the region, and is
    cached under the data version (``indicators.pagecache``): the permission check above runs
    on every request, the rendering only after a write."""
    region = _visible_region(request, code)
    include = _include(request)
    as_of = _as_of(request)
    access = access_for(request.user)
    ancestors = cached_value(
        "ancestors", [region.pk], lambda: region_ancestors(region), request=request
    )
    crumbs = [(r, access.can_view(r)) for r in ancestors]
    # The key: the region, the quarter and values shown, and every other parameter (the tables'
    # sort orders), as sorted pairs.
    params = sorted((k, v) for k, values in request.GET.lists() for v in values)
    body = cached_part(
        "region-dashboard",
        [region.pk, as_of, include.value, params],
        lambda: _region_dashboard_body(request, region, include, as_of),
        request=request,
    )
    # mark_safe: the body is HTML that our own template rendered, with every value escaped.
    return render(
        request,
        "indicators/region_dashboard.html",
        {
            "region": region,
            "crumbs": crumbs,
            "include": include,
            "values_chosen": "values" in request.GET,
            "body": mark_safe(body),
        },
    )


def _region_dashboard_body(request, region, include, as_of) -> str:
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    values = request.GET.get("values", "")
    query = _query(request)
    panels = []
    for panel in dashboard.panels:
        unit = panel.indicator.unit
        children_table = ChildrenTable(
            panel.children, values=values, prefix=f"{panel.code}-", anchor=f"children-{panel.code}"
        )
        RequestConfig(request, paginate=False).configure(children_table)
        has_bars = any(c.value is not None for c in panel.children)
        panels.append(
            {
                "panel": panel,
                "series_chart": charts.figure_payload(
                    charts.series_figure(
                        series=panel.series,
                        paths=panel.paths,
                        forecast=panel.forecast,
                        targets=panel.targets,
                        unit=unit,
                        as_of=as_of,
                    )
                ),
                "series_table": SeriesTable(
                    list(reversed(panel.series)), exclude=_empty_series_columns(panel)
                ),
                "children_chart": charts.figure_payload(
                    charts.breakdown_figure(children=panel.children, unit=unit)
                )
                if has_bars
                else None,
                "children_table": children_table,
            }
        )
    targets_table = TargetProgressTable(
        dashboard.targets, values=values, exclude=("region", "trend")
    )
    return render_to_string(
        "indicators/_region_dashboard_body.html",
        {
            "region": region,
            "dashboard": dashboard,
            "panels": panels,
            "targets_table": targets_table,
            "report_statuses": REPORT_STATUS_ORDER,
            "completeness_chart": charts.figure_payload(
                charts.completeness_figure(
                    rows=dashboard.completeness, quarters=dashboard.completeness_quarters
                )
            ),
            "completeness_table": CompletenessTable(
                dashboard.completeness, dashboard.completeness_quarters
            ),
            "as_of": as_of,
            "include": include,
            "inclusions": list(Inclusion),
            "data": {
                name: _data_links("indicators:region_data", [region.code], name, query)
                for name in datasets.REGION_DATASETS
            },
        },
        request=request,
    )


def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A plan: document number, issuer, dates, status, lineage, child plans, targets' progress."""
    plan = get_object_or_404(Plan.objects.select_related("region", "parent"), pk=plan_id)
    if not plan_visible_to(request.user, plan):
        raise Http404(_("No such plan in your scope."))
    include = _include(request)
    as_of = _as_of(request)
    page = plan_page(plan=plan, user=request.user, as_of=as_of, include=include)
    query = _query(request)
    return render(
        request,
        "indicators/plan_detail.html",
        {
            "page": page,
            "plan": plan,
            "region_visible": plan.region is not None
            and access_for(request.user).can_view(plan.region),
            "table": TargetProgressTable(page.rows, values=request.GET.get("values", "")),
            "as_of": as_of,
            "include": include,
            "inclusions": list(Inclusion),
            "data": {
                name: _data_links("indicators:plan_data", [plan.pk], name, query)
                for name in ("targets", "trends")
            },
        },
    )


def overview_data(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    """The overview's numbers: ``targets`` (progress per target) or ``trends`` (trend lines),
    for every plan in scope, or with ``?page=N`` for the plans of the overview's page N (the
    links on that page carry it; ``meta`` then says which page of how many)."""
    include, as_of = _include(request), _as_of(request)
    plans, paging, suffix = None, {}, ""
    if "page" in request.GET:
        paginator = Paginator(plans_visible_to(request.user), OVERVIEW_PLANS_PER_PAGE)
        try:
            page = paginator.page(request.GET["page"])
        except (PageNotAnInteger, EmptyPage):
            return HttpResponseBadRequest(
                _("“%(value)s” is not a page of the overview (pages 1 to %(pages)s).")
                % {"value": request.GET["page"][:20], "pages": paginator.num_pages}
            )
        plans = page.object_list
        paging = {"page": page.number, "pages": paginator.num_pages}
        suffix = f"-page{page.number}"
    cards = overview_plan_cards(user=request.user, as_of=as_of, include=include, plans=plans)
    data = datasets.overview_dataset(dataset, cards, as_of=as_of, include=include, **paging)
    return _data_response(data, fmt, f"certtrack-overview-{dataset}-{as_of}{suffix}")


def region_data(request: HttpRequest, code: str, dataset: str, fmt: str) -> HttpResponse:
    """A region dashboard's numbers: ``series``, ``children``, ``completeness`` or ``targets``."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    data = datasets.REGION_DATASETS[dataset](dashboard)
    return _data_response(data, fmt, f"certtrack-{region.code}-{dataset}-{as_of}")


def plan_data(request: HttpRequest, plan_id: int, dataset: str, fmt: str) -> HttpResponse:
    """A plan page's numbers: ``targets`` or ``trends``."""
    plan = get_object_or_404(Plan.objects.select_related("region", "parent"), pk=plan_id)
    if not plan_visible_to(request.user, plan):
        raise Http404(_("No such plan in your scope."))
    include, as_of = _include(request), _as_of(request)
    page = plan_page(plan=plan, user=request.user, as_of=as_of, include=include)
    return _data_response(
        datasets.plan_dataset(dataset, page), fmt, f"certtrack-plan{plan.pk}-{dataset}-{as_of}"
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


# --- Excel: report export and template import (docs/excel.md) ---------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_SESSION_KEY = "certtrack_import"


def _xlsx_response(wb, filename: str) -> FileResponse:
    """Save the workbook into a spooled temporary file (memory up to 8 MB) and send it.

    ``filename*`` (RFC 5987) carries the Chinese name; ``filename`` an ASCII fallback.
    """
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    wb.save(buffer)
    buffer.seek(0)
    response = FileResponse(buffer, content_type=XLSX)
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "") or "certtrack.xlsx"
    fallback = re.sub(r"_+", "_", fallback)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """The report page: choose region, quarters, indicators and values; download the workbook."""
    form = ReportForm(user=request.user)
    return render(request, "indicators/reports.html", {"form": form})


@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    """The report workbook for the query parameters of :class:`ReportForm` (docs/excel.md)."""
    code = request.GET.get("region", "")
    if code and not regions_visible_to(request.user).filter(code=code).exists():
        raise Http404  # not revealing whether a region outside the user's scope exists
    form = ReportForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "indicators/reports.html", {"form": form}, status=400)
    data = report_data(user=request.user, **form.report_args())
    now = timezone.localtime()
    wb = report_workbook(data=data, generated_by=_display_name(request.user), generated_at=now)
    return _xlsx_response(wb, report_filename(data=data, today=now.date()))


def _require_official(request: HttpRequest) -> None:
    if not access_for(request.user).can_enter_anything:
        raise PermissionDenied(_("Only officials who enter counts can import them."))


def _template_regions(user) -> list:
    regions = list(regions_enterable_by(user).order_by("path"))
    reporting = [r for r in regions if r.is_reporting_unit]
    return reporting or regions


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The entry template for ``?period=2026Q3`` (default: the last complete quarter)."""
    _require_official(request)
    raw = request.GET.get("period")
    try:
        period = Quarter.parse(raw) if raw else Quarter.last_complete()
    except ValueError:
        return HttpResponseBadRequest(
            _("“%(value)s” is not a quarter (write e.g. 2026Q3).") % {"value": raw[:20]}
        )
    regions = _template_regions(request.user)
    now = timezone.localtime()
    wb = import_template_workbook(
        rows=import_template_rows(regions=regions, period=period),
        period=period,
        indicators=list(Indicator.objects.all()),
        generated_by=_display_name(request.user),
        generated_at=now,
    )
    return _xlsx_response(wb, f"CertTrack_template_{period}_{now.date().isoformat()}.xlsx")


def _preview_context(changes: list[ImportChange], issues: list[ImportIssue]) -> dict:
    regions = {r.code: r for r in Region.objects.filter(code__in={c.region_code for c in changes})}
    indicators = {i.code: i for i in Indicator.objects.all()}
    lines = []
    for change in changes:
        for code, value in change.values.items():
            lines.append(
                {
                    "sheet": change.sheet,
                    "row": change.row,
                    "column": change.columns.get(code, ""),
                    "region": regions.get(change.region_code),
                    "region_code": change.region_code,
                    "period": change.period,
                    "indicator": indicators.get(code),
                    "old": change.old.get(code),
                    "new": value,
                    "explanation": change.explanation,
                }
            )
    return {"lines": lines, "issues": issues, "n_groups": len(changes)}


def _problem_issues(changes: list[ImportChange], problems) -> list[ImportIssue]:
    issues = []
    for problem in problems:
        change = changes[problem.index]
        column = change.columns.get(problem.field, "")
        issues.append(ImportIssue(problem.message, change.sheet, change.row, column))
    return issues


def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload → preview of every change and every error; nothing is written until confirmed."""
    _require_official(request)
    template_period = Quarter.last_complete()
    context = {"template_period": template_period, "max_mb": MAX_UPLOAD_BYTES // 1048576}
    context["max_rows"] = MAX_ROWS
    if request.method != "POST":
        context["form"] = ImportUploadForm()
        return render(request, "indicators/import.html", context)
    form = ImportUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "indicators/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    submit = form.cleaned_data["submit"]
    if upload.size > MAX_UPLOAD_BYTES:  # before reading or parsing anything
        issues = [
            ImportIssue(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": MAX_UPLOAD_BYTES // 1048576}
            )
        ]
        context |= _preview_context([], issues) | {"previewed": True}
        return render(request, "indicators/import.html", context, status=400)
    indicator_codes = list(Indicator.objects.values_list("code", flat=True))
    parsed = parse_counts_workbook(
        data=upload.read(),
        indicator_codes=indicator_codes,
        known_regions=set(Region.objects.filter(active=True).values_list("code", flat=True)),
        enterable_regions=set(regions_enterable_by(request.user).values_list("code", flat=True)),
    )
    stored = {
        key: StoredCount(c.value, c.version, c.status)
        for key, c in stored_counts(keys=[(r.region_code, r.period) for r in parsed.rows]).items()
    }
    changes = plan_changes(rows=parsed.rows, stored=stored)
    issues = list(parsed.errors)
    if not issues and changes:
        try:
            counts_import(user=request.user, changes=changes, submit=submit, dry_run=True)
        except ImportRejected as exc:
            issues += _problem_issues(changes, exc.problems)
    request.session.pop(IMPORT_SESSION_KEY, None)
    token = ""
    if changes and not issues:
        token = uuid.uuid4().hex
        # The parsed changes wait in the (database-backed) session: no file on local disk.
        request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "file": upload.name[:200],
            "submit": submit,
            "changes": [c.to_json() for c in changes],
        }
    context |= _preview_context(changes, issues)
    context |= {"previewed": True, "token": token, "file_name": upload.name, "submit": submit}
    return render(request, "indicators/import.html", context, status=400 if issues else 200)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the previewed import, all or nothing, against the versions seen at preview."""
    _require_official(request)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("indicators:import")
    changes = [ImportChange.from_json(c) for c in pending["changes"]]
    request.session.pop(IMPORT_SESSION_KEY, None)
    try:
        n = counts_import(user=request.user, changes=changes, submit=pending["submit"])
    except ImportRejected as exc:
        context = {"template_period": Quarter.last_complete(), "form": ImportUploadForm()}
        context |= {"max_mb": MAX_UPLOAD_BYTES // 1048576, "max_rows": MAX_ROWS}
        context |= _preview_context(changes, _problem_issues(changes, exc.problems))
        context |= {
            "previewed": True,
            "token": "",
            "file_name": pending["file"],
            "stale": exc.stale,
        }
        return render(request, "indicators/import.html", context, status=409 if exc.stale else 400)
    messages.success(
        request,
        _("Imported %(file)s: %(n)s values changed in %(groups)s region-quarters.")
        % {"file": pending["file"], "n": n, "groups": len(changes)},
    )
    return redirect("indicators:import")
