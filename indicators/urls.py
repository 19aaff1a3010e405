from django.urls import path

from indicators import views

app_name = "indicators"

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
]
