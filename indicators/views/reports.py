"""Reports (docs/excel.md, docs/brief.md): the report page with its workbook and the Word brief,
the import template, and the upload → preview → confirm import. Files are built by exports/;
parsing is imports.py."""

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
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from certtrack.params import BadParameter
from indicators.exports.brief import brief_document, brief_filename
from indicators.exports.report import report_filename, report_workbook
from indicators.exports.template import import_template_workbook
from indicators.forms import (
    BriefForm,
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
from indicators.selectors.brief import brief_data
from indicators.selectors.entry import entry_quarters
from indicators.selectors.reports import import_template_rows, report_data, stored_counts
from indicators.services.imports import ImportRejected, counts_import
from indicators.services.validation import EDITABLE, check_period_open
from indicators.views._common import _quarter_param
from regions.models import Region
from regions.people import display_name
from regions.selectors import access_for, regions_enterable_by, regions_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMPORT_SESSION_KEY = "certtrack_import"


def _file_response(wb, filename: str, content_type: str = XLSX) -> FileResponse:
    """Save the workbook (or Word document) into a spooled temporary file (memory up to 8 MB)
    and send it.

    ``filename*`` (RFC 5987) carries the Chinese name; ``filename`` an ASCII fallback.
    """
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    wb.save(buffer)
    buffer.seek(0)
    response = FileResponse(buffer, content_type=content_type)
    suffix = ".docx" if content_type == DOCX else ".xlsx"
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "") or f"certtrack{suffix}"
    fallback = re.sub(r"_+", "_", fallback)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _display_name(user) -> str:
    return display_name(user)


def _reports_page(request, *, form=None, brief_form=None, status: int = 200) -> HttpResponse:
    """The report page with the Excel report's form and the brief's (one of them bound with
    its errors after a bad request)."""
    context = {
        "form": form or ReportForm(user=request.user),
        "brief_form": brief_form or BriefForm(user=request.user),
    }
    return render(request, "indicators/reports/reports.html", context, status=status)


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """The report page: choose region, quarters, indicators and values; download the workbook,
    or the Word brief of a region as of a quarter."""
    return _reports_page(request)


@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    """The report workbook for the query parameters of :class:`ReportForm` (docs/excel.md)."""
    code = request.GET.get("region", "")
    if code and not regions_visible_to(request.user).filter(code=code).exists():
        raise Http404  # not revealing whether a region outside the user's scope exists
    form = ReportForm(request.GET, user=request.user)
    if not form.is_valid():
        return _reports_page(request, form=form, status=400)
    data = report_data(user=request.user, **form.report_args())
    now = timezone.localtime()
    wb = report_workbook(data=data, generated_by=_display_name(request.user), generated_at=now)
    return _file_response(wb, report_filename(data=data, today=now.date()))


def brief_issuer(region: Region) -> str:
    """The issuing unit named under the brief's title: the region's market regulation bureau
    (甘肃省市场监督管理局), the users' own; the line is text, edited in Word where it differs."""
    return _("%(region)s Administration for Market Regulation") % {"region": region.name}


@require_GET
def report_brief(request: HttpRequest) -> HttpResponse:
    """The Word brief of a region as of a quarter (docs/brief.md): the region dashboard's
    numbers in a document leaders can edit and forward. A region outside the user's scope is a
    404, other bad parameters give the report page back with the errors (400)."""
    code = request.GET.get("region", "")
    if code and not regions_visible_to(request.user).filter(code=code).exists():
        raise Http404  # not revealing whether a region outside the user's scope exists
    form = BriefForm(request.GET, user=request.user)
    if not form.is_valid():
        return _reports_page(request, brief_form=form, status=400)
    data = brief_data(**form.brief_args())
    today = timezone.localdate()
    doc = brief_document(data=data, issuer=brief_issuer(data.region), issued_on=today)
    return _file_response(doc, brief_filename(data=data, today=today), DOCX)


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
    return _file_response(wb, f"CertTrack_template_{period}_{now.date().isoformat()}.xlsx")


def _preview_context(
    changes: list[ImportChange], issues: list[ImportIssue], *, statuses: dict | None = None
) -> dict:
    """The preview's lines: ``lines`` the values the file changes (once corrected, where it has
    problems), ``locked_lines`` those it cannot change (approved or awaiting review: the
    stored ``statuses``, keyed by region code, quarter and indicator code)."""
    regions = {r.code: r for r in Region.objects.filter(code__in={c.region_code for c in changes})}
    indicators = {i.code: i for i in Indicator.objects.all()}
    statuses = statuses or {}
    lines, locked = [], []
    for change in changes:
        for code, value in change.values.items():
            status = statuses.get((change.region_code, change.period, code))
            (locked if status is not None and status not in EDITABLE else lines).append(
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
                    "status": status,
                }
            )
    return {"lines": lines, "locked_lines": locked, "issues": issues, "n_groups": len(changes)}


def _problem_issues(changes: list[ImportChange], problems) -> list[ImportIssue]:
    issues = []
    for problem in problems:
        change = changes[problem.index]
        column = change.columns.get(problem.field, "")
        issues.append(ImportIssue(problem.message, change.sheet, change.row, column))
    return issues


def _issue_order(issue: ImportIssue) -> tuple:
    """File-level problems first, then by row and column (A … Z, AA …)."""
    return (issue.row or 0, len(issue.column), issue.column)


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
    # Every row with a valid region and quarter goes through the services' rules, also those
    # with a refused cell (their other values): the preview lists every problem of the file.
    rows = parsed.rows + parsed.partial
    stored = {
        key: StoredCount(c.value, c.version, c.status)
        for key, c in stored_counts(keys=[(r.region_code, r.period) for r in rows]).items()
    }
    changes = plan_changes(rows=rows, stored=stored)
    issues = list(parsed.errors)
    if changes and not any(issue.row is None for issue in issues):  # not a file-level refusal
        try:
            counts_import(user=request.user, changes=changes, submit=submit, dry_run=True)
        except ImportRejected as exc:
            issues += _problem_issues(changes, exc.problems)
    issues.sort(key=_issue_order)
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
    statuses = {key: count.status for key, count in stored.items()}
    context |= _preview_context(changes, issues, statuses=statuses)
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
        stored = stored_counts(keys=[(c.region_code, c.period) for c in changes])
        statuses = {key: count.status for key, count in stored.items()}
        context |= _preview_context(
            changes, _problem_issues(changes, exc.problems), statuses=statuses
        )
        context |= {
            "previewed": True,
            "token": "",
            "file_name": pending["file"],
            "stale": exc.stale,
        }
        return render(
            request, "indicators/reports/import.html", context, status=409 if exc.stale else 400
        )
    if pending["submit"]:
        text = ngettext(
            "Imported %(file)s: %(n)s value changed in %(groups)s region-quarters and "
            "submitted for review.",
            "Imported %(file)s: %(n)s values changed in %(groups)s region-quarters and "
            "submitted for review.",
            n,
        )
    else:
        text = ngettext(
            "Imported %(file)s: %(n)s value changed in %(groups)s region-quarters, saved as "
            "drafts (not yet submitted for review).",
            "Imported %(file)s: %(n)s values changed in %(groups)s region-quarters, saved as "
            "drafts (not yet submitted for review).",
            n,
        )
    messages.success(request, text % {"file": pending["file"], "n": n, "groups": len(changes)})
    return redirect("indicators:import")
