"""Excel pages (docs/excel.md): the report page and its workbook, the import template, and the
upload → preview → confirm import. Workbooks are built by exports/; parsing is imports.py."""

from __future__ import annotations

import re
import tempfile
import uuid
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from certtrack.params import BadParameter
from indicators.exports.report import report_filename, report_workbook
from indicators.exports.template import import_template_workbook
from indicators.forms import (
    ImportUploadForm,
    ReportForm,
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
from indicators.models import Indicator
from indicators.periods import Quarter
from indicators.selectors.entry import entry_quarters
from indicators.selectors.reports import import_template_rows, report_data, stored_counts
from indicators.services.imports import ImportRejected, counts_import
from indicators.services.validation import check_period_open
from indicators.views._common import _quarter_param
from regions.models import Region
from regions.selectors import access_for, regions_enterable_by, regions_visible_to

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
    return render(request, "indicators/reports/reports.html", {"form": form})


@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    """The report workbook for the query parameters of :class:`ReportForm` (docs/excel.md)."""
    code = request.GET.get("region", "")
    if code and not regions_visible_to(request.user).filter(code=code).exists():
        raise Http404  # not revealing whether a region outside the user's scope exists
    form = ReportForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "indicators/reports/reports.html", {"form": form}, status=400)
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
    period = _quarter_param(request.GET, "period", default=Quarter.last_complete())
    try:
        check_period_open(period)  # a template only for a quarter that may be entered
    except ValidationError as exc:
        raise BadParameter("period", request.GET.get("period", ""), exc.messages[0]) from None
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


def _import_context() -> dict:
    """What the import page shows besides the upload: the template's quarter picker (exactly
    the quarters that may be entered, newest first) and the limits."""
    return {
        "template_period": Quarter.last_complete(),
        "template_quarters": entry_quarters(),
        "max_mb": MAX_UPLOAD_BYTES // 1048576,
        "max_rows": MAX_ROWS,
    }


def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload → preview of every change and every error; nothing is written until confirmed."""
    _require_official(request)
    context = _import_context()
    if request.method != "POST":
        context["form"] = ImportUploadForm()
        return render(request, "indicators/reports/import.html", context)
    form = ImportUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "indicators/reports/import.html", context, status=400)
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
        return render(request, "indicators/reports/import.html", context, status=400)
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
    return render(request, "indicators/reports/import.html", context, status=400 if issues else 200)


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
        context = _import_context() | {"form": ImportUploadForm()}
        context |= _preview_context(changes, _problem_issues(changes, exc.problems))
        context |= {
            "previewed": True,
            "token": "",
            "file_name": pending["file"],
            "stale": exc.stale,
        }
        return render(
            request, "indicators/reports/import.html", context, status=409 if exc.stale else 400
        )
    messages.success(
        request,
        _("Imported %(file)s: %(n)s values changed in %(groups)s region-quarters.")
        % {"file": pending["file"], "n": n, "groups": len(changes)},
    )
    return redirect("indicators:import")
