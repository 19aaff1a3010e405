"""Views parse input, call selectors or services, and render; nothing is computed here.

Every page and data endpoint of a region or plan checks ``regions.selectors.access_for`` through
``_visible_region`` / ``plan_visible_to``: a region or plan outside the user's scope is a 404
(its existence is not confirmed), for the JSON and CSV exactly as for the page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from indicators import charts, datasets
from indicators.models import Plan
from indicators.periods import Quarter
from indicators.selectors import (
    REPORT_STATUS_ORDER,
    Inclusion,
    overview_plan_cards,
    plan_page,
    plan_visible_to,
    region_dashboard,
)
from indicators.tables import ChildrenTable, CompletenessTable, SeriesTable, TargetProgressTable
from regions.models import Region
from regions.selectors import access_for, region_ancestors


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


def overview(request: HttpRequest) -> HttpResponse:
    """Home page: a card per plan in the user's scope with each target's progress and trend."""
    include = _include(request)
    as_of = _as_of(request)
    cards = overview_plan_cards(user=request.user, as_of=as_of, include=include)
    query = _query(request)
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
    forecast, the children's breakdown and the completeness heatmap, each with its table."""
    region = _visible_region(request, code)
    include = _include(request)
    as_of = _as_of(request)
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    access = access_for(request.user)
    crumbs = [(r, access.can_view(r)) for r in region_ancestors(region)]
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
    return render(
        request,
        "indicators/region_dashboard.html",
        {
            "region": region,
            "dashboard": dashboard,
            "crumbs": crumbs,
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
    )


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A plan: document number, issuer, dates, status, lineage, child plans, targets' progress."""
    plan = get_object_or_404(Plan.objects.select_related("region", "parent"), pk=pk)
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
    """The overview's numbers: ``targets`` (progress per target) or ``trends`` (trend lines)."""
    include, as_of = _include(request), _as_of(request)
    cards = overview_plan_cards(user=request.user, as_of=as_of, include=include)
    data = datasets.overview_dataset(dataset, cards, as_of=as_of, include=include)
    return _data_response(data, fmt, f"certtrack-overview-{dataset}-{as_of}")


def region_data(request: HttpRequest, code: str, dataset: str, fmt: str) -> HttpResponse:
    """A region dashboard's numbers: ``series``, ``children``, ``completeness`` or ``targets``."""
    region = _visible_region(request, code)
    include, as_of = _include(request), _as_of(request)
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    data = datasets.REGION_DATASETS[dataset](dashboard)
    return _data_response(data, fmt, f"certtrack-{region.code}-{dataset}-{as_of}")


def plan_data(request: HttpRequest, pk: int, dataset: str, fmt: str) -> HttpResponse:
    """A plan page's numbers: ``targets`` or ``trends``."""
    plan = get_object_or_404(Plan.objects.select_related("region", "parent"), pk=pk)
    if not plan_visible_to(request.user, plan):
        raise Http404(_("No such plan in your scope."))
    include, as_of = _include(request), _as_of(request)
    page = plan_page(plan=plan, user=request.user, as_of=as_of, include=include)
    return _data_response(
        datasets.plan_dataset(dataset, page), fmt, f"certtrack-plan{plan.pk}-{dataset}-{as_of}"
    )
