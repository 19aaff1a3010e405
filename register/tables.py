"""The certificate list as a django-tables2 table (declarative: Meta.fields does the rest)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from register.models import Certificate


class CertificateTable(tables.Table):
    type = tables.Column(verbose_name=_("Certification type"), order_by=("type__sort_order",))
    holder = tables.Column(verbose_name=_("Holder"), accessor="holder__name")
    credit_code = tables.Column(
        verbose_name=_("Unified social credit code"), accessor="holder__credit_code"
    )
    region = tables.Column(verbose_name=_("Region"), accessor="holder__region__name_zh")
    issued_on = tables.DateColumn(format="Y-m-d", attrs={"td": {"class": "nowrap"}})
    expires_on = tables.DateColumn(format="Y-m-d", attrs={"td": {"class": "nowrap"}})
    status = tables.Column(verbose_name=_("Status now"))
    absent = tables.Column(
        verbose_name=_("Absent from the latest extract"),
        accessor="absent_since_id",
        orderable=False,
    )

    class Meta:
        model = Certificate
        fields = ["number", "body", "type", "holder", "credit_code", "region", "issued_on",
                  "expires_on", "status", "absent"]  # fmt: skip
        attrs = {"class": "data"}
        order_by = ("number",)

    def render_absent(self, value):
        return _("yes") if value else "—"

    def render_region(self, record):
        return record.holder.region.name
