"""The URLs of the indicators app, grouped as the views are: the table of contents of its pages.

Each group names the module under indicators/views/ that serves it; data formats: docs/api.md.
"""

from django.urls import path, register_converter

from indicators.views import dashboards, data, entry, reports, review, targets


class FormatConverter:
    regex = "json|csv"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class RegionDatasetConverter(FormatConverter):
    regex = "series|children|completeness|targets"


class TargetDatasetConverter(FormatConverter):
    regex = "targets|trends"


register_converter(FormatConverter, "fmt")
register_converter(RegionDatasetConverter, "region_dataset")
register_converter(TargetDatasetConverter, "target_dataset")

app_name = "indicators"

urlpatterns = [
    # Dashboards (views/dashboards.py): the overview, a region's dashboard, a plan's page.
    path("", dashboards.overview, name="overview"),
    path("regions/<str:code>/", dashboards.region_dashboard_view, name="region_dashboard"),
    path("plans/<int:plan_id>/", dashboards.plan_detail, name="plan_detail"),
    # Data behind every chart, JSON or CSV (views/data.py, docs/api.md).
    path("overview/<target_dataset:dataset>.<fmt:fmt>", data.overview_data, name="overview_data"),
    path(
        "regions/<str:code>/<region_dataset:dataset>.<fmt:fmt>",
        data.region_data,
        name="region_data",
    ),
    path(
        "plans/<int:plan_id>/<target_dataset:dataset>.<fmt:fmt>", data.plan_data, name="plan_data"
    ),
    # Targets (views/targets.py): a target's allocation to divisions, the assessment ranking.
    path("targets/<int:target_id>/allocation/", targets.allocation, name="target_allocation"),
    path("regions/<str:code>/assessment/", targets.assessment, name="assessment"),
    path(
        "regions/<str:code>/assessment.<fmt:fmt>",
        targets.assessment_data,
        name="assessment_data",
    ),
    path(
        "plans/<int:plan_id>/assessment-weights/",
        targets.assessment_weights,
        name="assessment_weights",
    ),
    # Entry (views/entry.py): an official's form for one region and quarter.
    path("entry/", entry.entry, name="entry"),
    path("entry/withdraw/", entry.withdraw, name="withdraw"),
    # Review (views/review.py): the queue of a quarter, one region-quarter to decide on.
    path("review/", review.review_queue_page, name="review_queue"),
    path("review/<str:code>/<str:period>/", review.review, name="review"),
    # Reports (views/reports.py, docs/excel.md, docs/brief.md): the Excel report, the Word brief,
    # the entry template, upload and confirm.
    path("reports/", reports.reports, name="reports"),
    path("reports/export.xlsx", reports.report_export, name="report_export"),
    path("reports/brief.docx", reports.report_brief, name="report_brief"),
    path("import/", reports.import_upload, name="import"),
    path("import/template.xlsx", reports.import_template, name="import_template"),
    path("import/confirm/", reports.import_confirm, name="import_confirm"),
]
