"""The URLs of the certificate register (register/views.py; data formats: docs/api.md)."""

from django.urls import path, register_converter

from indicators.urls import FormatConverter
from register import views


class RegisterFormatConverter(FormatConverter):
    """json or csv (a name of its own: indicators.urls registers ``fmt``)."""


register_converter(RegisterFormatConverter, "register_fmt")

app_name = "register"

urlpatterns = [
    # Import (upload → preview → confirm) and the list of imports.
    path("register/import/", views.import_page, name="import"),
    path("register/import/confirm/", views.import_confirm, name="import_confirm"),
    # A region's register beside its reported counts, and its data.
    path("regions/<str:code>/register/", views.region_register, name="region"),
    path(
        "regions/<str:code>/register.<register_fmt:fmt>",
        views.region_register_data,
        name="region_data",
    ),
    # The certificates behind a number: the list and its export.
    path(
        "regions/<str:code>/register/certificates/",
        views.certificate_list,
        name="certificates",
    ),
    path(
        "regions/<str:code>/register/certificates.csv",
        views.certificate_export,
        name="certificates_export",
    ),
]
