from django.urls import path, register_converter

from indicators.views import dashboards as views


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

# Data endpoints: docs/api.md.
urlpatterns = [
    path("", views.overview, name="overview"),
    path("entry/", views.entry, name="entry"),
    path("review/", views.review_queue_page, name="review_queue"),
    path("review/<str:code>/<str:period>/", views.review, name="review"),
    path("reports/", views.reports, name="reports"),
    path("reports/export.xlsx", views.report_export, name="report_export"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("overview/<target_dataset:dataset>.<fmt:fmt>", views.overview_data, name="overview_data"),
    path("regions/<str:code>/", views.region_dashboard_view, name="region_dashboard"),
    path(
        "regions/<str:code>/<region_dataset:dataset>.<fmt:fmt>",
        views.region_data,
        name="region_data",
    ),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path(
        "plans/<int:plan_id>/<target_dataset:dataset>.<fmt:fmt>", views.plan_data, name="plan_data"
    ),
]
