"""The numbers behind every chart as JSON or CSV (docs/api.md): the overview's, a region
dashboard's and a plan page's datasets. The pages themselves are in dashboards.py."""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from certtrack.params import BadParameter
from indicators import datasets
from indicators.models import Plan
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.plans import (
    overview_plan_cards,
    plan_page,
    plan_visible_to,
    plans_visible_to,
)
from indicators.views._common import (
    _as_of,
    _include,
    _visible_region,
)
from indicators.views.dashboards import OVERVIEW_PLANS_PER_PAGE


def _data_response(dataset: datasets.Dataset, fmt: str, filename: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(dataset.as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    return JsonResponse(dataset.as_json(), json_dumps_params={"ensure_ascii": False})


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
            raise BadParameter(
                "page",
                request.GET["page"],
                _("“%(value)s” is not a page of the overview (pages 1 to %(pages)s).")
                % {"value": request.GET["page"][:20], "pages": paginator.num_pages},
            ) from None
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
