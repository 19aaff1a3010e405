"""The account list (django-tables2); rows come from ``accounts_managed_by`` with the
memberships and units prefetched, so the page's queries do not grow with its rows."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regions.people import display_name


class AccountTable(tables.Table):
    region_label = gettext_lazy("Accounts")

    username = tables.Column(verbose_name=gettext_lazy("Username"))
    name = tables.Column(
        verbose_name=gettext_lazy("Name"), accessor="pk", order_by=("first_name", "username")
    )
    roles = tables.Column(verbose_name=gettext_lazy("Roles"), accessor="pk", orderable=False)
    units = tables.Column(verbose_name=gettext_lazy("Unit"), accessor="pk", orderable=False)
    is_active = tables.Column(verbose_name=gettext_lazy("Active"))
    last_login = tables.Column(verbose_name=gettext_lazy("Last sign-in"), default="—")

    class Meta:
        template_name = "indicators/table.html"
        attrs = {"class": "data-table"}
        fields = ("username", "name", "roles", "units", "is_active", "last_login")
        order_by = ("username",)

    def render_username(self, record):
        return format_html(
            '<a href="{}" lang="zxx">{}</a>',
            reverse("accounts:detail", args=[record.pk]),
            record.username,
        )

    def render_name(self, record):
        return display_name(record)

    def render_roles(self, record):
        return (
            "; ".join(f"{m.get_role_display()} · {m.region.name}" for m in record.memberships.all())
            or "—"
        )

    def render_units(self, record):
        return "; ".join(m.unit.name for m in record.unit_memberships.all()) or "—"

    def render_is_active(self, value):
        return _("yes") if value else _("deactivated")

    def render_last_login(self, value):
        return date_format(localtime(value), "Y-m-d H:i")
