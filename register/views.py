"""Pages of the certificate register: the import (upload → preview → confirm), a region's
register beside its reported counts (page, JSON, CSV), and the certificates behind a number.

Views parse the request, call a selector or the one service, and render. Every region goes
through ``regions.selectors.access_for``: outside the scope is a 404; importing needs the
reviewer's role (or an administrator).
"""

from __future__ import annotations

import csv
import hashlib
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from indicators.charts import figure_payload
from indicators.datasets import csv_value
from indicators.imports import ImportIssue
from indicators.periods import Quarter, first_quarter
from indicators.views._common import _as_of, _include, _quarter_param, _visible_region
from indicators.views.data import _data_response
from regions.models import Region
from regions.selectors import access_for, regions_reviewable_by
from register import datasets, demo
from register.charts import register_figure
from register.filters import CertificateFilterSet
from register.forms import RegisterUploadForm
from register.imports import MAX_ROWS, MAX_UPLOAD_BYTES, RegisterRow, TypeNames, parse_register_file
from register.models import Certificate, CertificationType, RegisterImport
from register.selectors import (
    CERTIFICATES,
    ORGANIZATIONS,
    certificates_of,
    certificates_valid_on,
    register_comparison,
    register_imports,
)
from register.services import register_import
from register.tables import CertificateTable

SESSION_KEY = "register_import"
DEFAULT_QUARTERS = 12  # the page shows three years unless ?from= asks otherwise
MAX_ERRORS_SHOWN = 1000
PAGE_SIZE = 50


# --- import ----------------------------------------------------------------------------------


def _require_importer(request: HttpRequest):
    access = access_for(request.user)
    if not (access.everything or access.can_review_anything):
        raise PermissionDenied(_("Only reviewers and administrators import the register."))
    return access


def _import_regions(request: HttpRequest):
    access = access_for(request.user)
    if access.everything:
        return Region.objects.filter(active=True)
    return regions_reviewable_by(request.user)


def _import_page(request, *, form, status=200, **extra) -> HttpResponse:
    context = {
        "form": form,
        "imports": register_imports(user=request.user),
        "max_mb": MAX_UPLOAD_BYTES // 1048576,
        "max_rows": f"{MAX_ROWS:,}",
        **extra,
    }
    return render(request, "register/import.html", context, status=status)


def _type_names() -> list[TypeNames]:
    return [
        TypeNames(t.code, (t.name_zh, t.name_en, t.standard, *t.aliases.splitlines()))
        for t in CertificationType.objects.all()
    ]


def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a register file → preview of what it adds and changes, and every error."""
    access = _require_importer(request)
    regions = _import_regions(request)
    if request.method != "POST":
        return _import_page(request, form=RegisterUploadForm(regions=regions))
    form = RegisterUploadForm(request.POST, request.FILES, regions=regions)
    if not form.is_valid():
        return _import_page(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:  # before reading anything
        issue = ImportIssue(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{upload.size / 1048576:.1f}", "limit": MAX_UPLOAD_BYTES // 1048576}
        )
        return _import_page(request, form=form, status=400, previewed=True, issues=[issue])
    data = upload.read()
    file_hash = hashlib.sha256(data).hexdigest()
    parsed = parse_register_file(
        data=data,
        file_name=upload.name,
        types=_type_names(),
        regions=dict(Region.objects.filter(active=True).values_list("code", "path")),
        in_scope=lambda path: access.everything or any(path.startswith(p) for p in access.review),
    )
    extract = form.cleaned_data["full_extract_of"]
    summary = None
    issues = list(parsed.errors)
    file_level = any(i.row is None for i in issues) or not parsed.rows
    if not file_level:
        summary = register_import(
            user=request.user,
            rows=parsed.rows,
            file_name=upload.name,
            file_hash=file_hash,
            refused_rows=parsed.refused_rows,
            full_extract_of=extract,
            dry_run=True,
        )
        issues += [ImportIssue(p.message, row=p.row, column=p.column) for p in summary.problems]
    issues.sort(key=lambda i: (i.row or 0, len(i.column), i.column))
    request.session.pop(SESSION_KEY, None)
    token = ""
    if summary is not None and (summary.added or summary.changed or summary.flagged):
        token = uuid.uuid4().hex
        # The parsed rows wait in the (database-backed) session: no file on local disk.
        request.session[SESSION_KEY] = {
            "token": token,
            "file": upload.name[:200],
            "hash": file_hash,
            "refused": parsed.refused_rows,
            "extract": extract.code if extract else "",
            "rows": [r.to_json() for r in parsed.rows],
        }
    earlier = RegisterImport.objects.filter(file_hash=file_hash).select_related("user").first()
    return _import_page(
        request,
        form=form,
        status=400 if file_level else 200,
        previewed=True,
        file_name=upload.name,
        summary=summary,
        issues=issues[:MAX_ERRORS_SHOWN],
        issues_total=len(issues),
        token=token,
        earlier=earlier,
        extract=extract,
    )


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the previewed file: its valid rows, against what is stored now."""
    _require_importer(request)
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("register:import")
    request.session.pop(SESSION_KEY, None)
    extract = None
    if pending["extract"]:
        extract = _import_regions(request).filter(code=pending["extract"]).first()
    summary = register_import(
        user=request.user,
        rows=[RegisterRow.from_json(r) for r in pending["rows"]],
        file_name=pending["file"],
        file_hash=pending["hash"],
        refused_rows=pending["refused"],
        full_extract_of=extract,
    )
    messages.success(
        request,
        _(
            "Imported %(file)s: %(added)s certificates added, %(changed)s changed, "
            "%(unchanged)s unchanged, %(refused)s rows refused, %(flagged)s flagged as absent."
        )
        % {
            "file": pending["file"],
            "added": summary.added,
            "changed": summary.changed,
            "unchanged": summary.unchanged,
            "refused": summary.refused,
            "flagged": summary.flagged,
        },
    )
    return redirect("register:import")


# --- a region's register beside its reported counts ------------------------------------------


def _span(request: HttpRequest) -> tuple[Quarter, Quarter]:
    """``as_of`` as everywhere, and ``from`` (default: three years up to ``as_of``)."""
    end = _as_of(request)
    start = _quarter_param(
        request.GET, "from", default=max(end - (DEFAULT_QUARTERS - 1), first_quarter())
    )
    return min(start, end), end


def region_register(request: HttpRequest, code: str) -> HttpResponse:
    """Per quarter, the register's values (total, by type) beside the reported counts."""
    region = _visible_region(request, code)
    include = _include(request)
    start, end = _span(request)
    comparison = register_comparison(region=region, start=start, end=end, include=include)
    charts = []
    names = {CERTIFICATES: _("Valid certificates"), ORGANIZATIONS: _("Certified organizations")}
    units = {CERTIFICATES: _("certificates"), ORGANIZATIONS: _("organizations")}
    for indicator in (CERTIFICATES, ORGANIZATIONS):
        totals = comparison.totals(indicator)
        charts.append(
            {
                "indicator": indicator,
                "name": names[indicator],
                "id": f"register-{indicator}",
                "figure": figure_payload(register_figure(rows=totals, unit=units[indicator])),
                "rows": list(reversed(totals)),
            }
        )
    latest = [r for r in comparison.rows if r.period == end and not r.is_total]
    by_type = []
    for row in latest:
        if row.indicator != CERTIFICATES:
            continue
        orgs = next(
            r for r in latest
            if r.indicator == ORGANIZATIONS and r.type_group == row.type_group and r.type_code == row.type_code
        )  # fmt: skip
        by_type.append({"row": row, "organizations": orgs.register_value})
    query = request.GET.urlencode()
    notes = []
    if Certificate.objects.filter(is_demo=True).exists():
        units = Region.objects.filter(
            code__in=[d.region_code for d in demo.DIFFERENCES], path__startswith=region.path
        ).values_list("code", flat=True)
        english = (get_language() or "").startswith("en")
        notes = demo.demo_notes(region.code, set(units), english=english)
    return render(
        request,
        "register/region.html",
        {
            "region": region,
            "comparison": comparison,
            "charts": charts,
            "by_type": by_type,
            "as_of": end,
            "start": start,
            "include": include,
            "query": f"?{query}" if query else "",
            "demo_notes": notes,
        },
    )


def region_register_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The same rows as JSON or CSV (docs/api.md)."""
    region = _visible_region(request, code)
    include = _include(request)
    start, end = _span(request)
    comparison = register_comparison(region=region, start=start, end=end, include=include)
    data = datasets.register_dataset(comparison, as_of=end, start=start, include=include)
    return _data_response(data, fmt, f"certtrack-{region.code}-register-{end}")


# --- the certificates behind a number --------------------------------------------------------


def _certificates(request: HttpRequest, region: Region):
    """The certificates valid at the end of ``period`` (or every one, without it), filtered."""
    period = _quarter_param(request.GET, "period")
    rows = (
        certificates_valid_on(region=region, day=period.end_date)
        if period
        else certificates_of(region=region)
    )
    filters = CertificateFilterSet(request.GET, queryset=rows)
    return period, filters


def certificate_list(request: HttpRequest, code: str) -> HttpResponse:
    region = _visible_region(request, code)
    period, filters = _certificates(request, region)
    table = CertificateTable(filters.qs)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return render(
        request,
        "register/certificates.html",
        {
            "region": region,
            "period": period,
            "filter": filters,
            "table": table,
            "export_url": reverse("register:certificates_export", args=[region.code])
            + (f"?{query.urlencode()}" if query else ""),
            "back_url": reverse("register:region", args=[region.code]),
        },
    )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "number", "body", "type", "type_group", "holder", "credit_code", "region_code",
    "issued_on", "expires_on", "status", "absent",
]  # fmt: skip


def certificate_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    """The filtered list as CSV (UTF-8 with a byte order mark), streamed row by row."""
    region = _visible_region(request, code)
    period, filters = _certificates(request, region)
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def lines():
        yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
        for c in filters.qs.order_by("number").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    csv_value(v)
                    for v in (
                        c.number,
                        c.body,
                        c.type.code,
                        c.type.group,
                        c.holder.name,
                        c.holder.credit_code,
                        c.holder.region.code,
                        c.issued_on.isoformat(),
                        c.expires_on.isoformat(),
                        c.status,
                        c.absent_since_id is not None,
                    )  # fmt: skip
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"certtrack-{region.code}-certificates{'-' + str(period) if period else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
