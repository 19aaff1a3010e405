"""The leaders' pages: the overview of plans, a region's dashboard and a plan's page, rendered
from the selectors' rows. Their JSON/CSV is in data.py; entry, review and Excel have their own.

Every page of a region or plan checks ``regions.selectors.access_for`` through
``_visible_region`` / ``plan_visible_to``: a region or plan outside the user's scope is a 404
(its existence is not confirmed), for the JSON and CSV exactly as for the page.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from indicators import charts, datasets
from indicators.models import Plan
from indicators.pagecache import cached_part, cached_value
from indicators.selectors.completeness import REPORT_STATUS_ORDER
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.plans import (
    overview_plan_cards,
    plan_page,
    plan_visible_to,
    plans_visible_to,
)
from indicators.selectors.values import Inclusion
from indicators.tables import (
    ChildrenTable,
    CompletenessTable,
    SeriesTable,
    TargetProgressTable,
)
from indicators.views._common import (
    _as_of,
    _include,
    _query,
    _visible_region,
)
from regions.selectors import access_for, region_ancestors
from register.charts import register_trace
from register.selectors import CERTIFICATES, ORGANIZATIONS, register_stocks


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
        "indicators/dashboards/overview.html",
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


def series_table_rows(series: list) -> list:
    """The table beside a series chart: the measured quarters, newest first, then only those
    quarters still ahead that have a target due (the chart and the CSV have every quarter)."""
    past = [p for p in reversed(series) if not p.is_future]
    return past + [p for p in series if p.is_future and p.targets]


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
        "indicators/dashboards/region_dashboard.html",
        {
            "region": region,
            "crumbs": crumbs,
            "include": include,
            "values_chosen": "values" in request.GET,
            "register_line": request.GET.get("register") == "1",
            "body": mark_safe(body),
        },
    )


def _register_line(request, region, dashboard, as_of) -> dict[str, dict]:
    """With ``?register=1``: the certificate register's line of each indicator over the
    quarters of the dashboard's series (docs/register.md), else nothing."""
    if request.GET.get("register") != "1" or not dashboard.panels:
        return {}
    # quarters ended by as_of only: a stock after it is not known yet
    periods = [p.period for p in dashboard.panels[0].series if p.period <= as_of]
    stocks = register_stocks(region=region, days=[q.end_date for q in periods])
    totals = {
        CERTIFICATES: stocks.total_certificates,
        ORGANIZATIONS: stocks.total_organizations,
    }
    return {
        code: register_trace(
            periods=[str(q) for q in periods], values=[found.get(q.end_date, 0) for q in periods]
        )
        for code, found in totals.items()
    }


def _with_register(fig, trace):
    """The series figure with the register's line added (a dict or a checked go.Figure)."""
    if trace is None:
        return fig
    if isinstance(fig, dict):
        fig["data"].append(trace)
    else:
        fig.add_trace(trace)
    return fig


def _region_dashboard_body(request, region, include, as_of) -> str:
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    values = request.GET.get("values", "")
    query = _query(request)
    panels = []
    register_line = _register_line(request, region, dashboard, as_of)
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
                    _with_register(
                        charts.series_figure(
                            series=panel.series,
                            paths=panel.paths,
                            forecast=panel.forecast,
                            targets=panel.targets,
                            unit=unit,
                            as_of=as_of,
                        ),
                        register_line.get(panel.code),
                    )
                ),
                "series_table": SeriesTable(
                    series_table_rows(panel.series), exclude=_empty_series_columns(panel)
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
        "indicators/dashboards/_region_dashboard_body.html",
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
    from tasks.selectors.access import task_access_for  # tasks builds on indicators

    plan = get_object_or_404(Plan.objects.select_related("region", "parent"), pk=plan_id)
    if not plan_visible_to(request.user, plan):
        raise Http404(_("No such plan in your scope."))
    include = _include(request)
    as_of = _as_of(request)
    page = plan_page(plan=plan, user=request.user, as_of=as_of, include=include)
    query = _query(request)
    return render(
        request,
        "indicators/dashboards/plan_detail.html",
        {
            "page": page,
            "plan": plan,
            "region_visible": plan.region is not None
            and access_for(request.user).can_view(plan.region),
            # The task board only for those who may open it: someone who sees the plan only
            # through a target allocated to their region does not see the other regions'
            # units and reports (the security sweep), so no link leads to a 404 (issue 22.10).
            "tasks_visible": task_access_for(request.user).can_view_plan(plan),
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
