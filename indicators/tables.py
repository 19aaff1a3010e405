"""Tables of the list pages (django-tables2). Each class is self-contained."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from indicators.selectors import SUBMISSION_STATUS_LABELS


def _when(value) -> str:
    return date_format(localtime(value), "Y-m-d H:i") if value else "—"


class ReviewQueueTable(tables.Table):
    """The reviewer's queue: one row per reporting unit for the chosen quarter.

    Built on ``selectors.review_queue``; value columns (one per indicator) are added by the
    view as ``extra_columns`` so that indicators stay data.
    """

    region = tables.Column(verbose_name=_("Region"), accessor="code", order_by=("path",))
    status = tables.Column(verbose_name=_("Status"))
    entered_by_name = tables.Column(verbose_name=_("Entered by"), default="—")
    last_submitted_at = tables.Column(
        verbose_name=_("Submitted at"), attrs={"td": {"class": "nowrap"}}
    )
    on_time = tables.Column(verbose_name=_("On time"))
    reviewed_by_name = tables.Column(verbose_name=_("Reviewed by"), default="—")
    last_reviewed_at = tables.Column(
        verbose_name=_("Reviewed at"), attrs={"td": {"class": "nowrap"}}
    )
    actions = tables.Column(verbose_name=_("Review"), empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "data queue"}
        order_by = ("region",)
        sequence = ("region", "status", "...", "actions")
        empty_text = _("No reporting unit matches.")

    def __init__(self, *args, period, **kwargs):
        self.period = period
        super().__init__(*args, **kwargs)

    def render_region(self, record):
        return format_html('{} <small class="muted">{}</small>', record.name, record.code)

    def render_status(self, value):
        return format_html(
            '<span class="badge status-{}">{}</span>', value, SUBMISSION_STATUS_LABELS[value]
        )

    def render_last_submitted_at(self, value):
        return _when(value)

    def render_last_reviewed_at(self, value):
        return _when(value)

    def render_on_time(self, value, record):
        if record.status not in ("submitted", "approved"):
            return "—"
        return _("Yes") if value else _("Late")

    def render_actions(self, record):
        url = reverse("indicators:review", args=[record.code, str(self.period)])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


class CountColumn(tables.Column):
    """A whole number with thousands separators, right-aligned."""

    def render(self, value):
        return f"{value:,}"


def value_column(indicator) -> tables.Column:
    """A right-aligned column for ``value_<code>`` of ``selectors.review_queue``."""
    return CountColumn(
        verbose_name=indicator.name,
        accessor=f"value_{indicator.code}",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
        default="—",
    )
