"""django-tables2 tables: the reviewer's queue, and the dashboards' tables of the same numbers as
the charts beside them.

Every chart has one of these next to it, so no number is only readable from a drawing (and the
page still says everything when printed in black and white or read by a screen reader).
"""

from __future__ import annotations

import django_tables2 as tables
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from indicators.charts import figure_payload, fmt_int, fmt_pct
from indicators.progress import Status, increase_text, progress_notes
from indicators.selectors.completeness import CompletenessRow
from indicators.selectors.dashboards import ChildRow, SeriesPoint
from indicators.selectors.entry import SUBMISSION_STATUS_LABELS
from indicators.selectors.progress import TargetTrendRow
from indicators.sparklines import sparkline_figure
from indicators.templatetags.dashboard import chart, report_swatch

_DASHBOARD_URLS: dict[tuple[str, str], str] = {}


def dashboard_url(code: str) -> str:
    """The address of a region's dashboard, resolved once per region (a table links each of its
    rows: ``reverse`` was a tenth of a national dashboard's children tables)."""
    key = (get_script_prefix(), code)
    url = _DASHBOARD_URLS.get(key)
    if url is None:
        if len(_DASHBOARD_URLS) > 20_000:  # a bound; the country has ≈ 3,300 regions
            _DASHBOARD_URLS.clear()
        url = _DASHBOARD_URLS[key] = reverse("indicators:region_dashboard", args=[code])
    return url


def _when(value) -> str:
    return date_format(localtime(value), "Y-m-d H:i") if value else "—"


def _person(value: str) -> str:
    """A person's name that a narrow column wraps after an underscore (reviewer_/gansu: an
    English page shows usernames where no English name is set), not inside a word."""
    return format_html_join(mark_safe("_<wbr>"), "{}", ((part,) for part in value.split("_")))


class ReviewQueueTable(tables.Table):
    """The reviewer's queue: one row per reporting unit for the chosen quarter.

    Built on ``selectors.entry.review_queue``; value columns (one per indicator) are added by the
    view as ``extra_columns`` so that indicators stay data.
    """

    region_label = gettext_lazy("Review queue")

    region = tables.Column(verbose_name=gettext_lazy("Region"), accessor="code", order_by=("path",))
    status = tables.Column(verbose_name=gettext_lazy("Status"), order_by=("queue_rank", "path"))
    entered_by_name = tables.Column(verbose_name=gettext_lazy("Entered by"), default="—")
    last_submitted_at = tables.Column(
        verbose_name=gettext_lazy("Submitted at"), attrs={"td": {"class": "nowrap"}}
    )
    on_time = tables.Column(verbose_name=gettext_lazy("On time"))
    reviewed_by_name = tables.Column(verbose_name=gettext_lazy("Reviewed by"), default="—")
    last_reviewed_at = tables.Column(
        verbose_name=gettext_lazy("Reviewed at"), attrs={"td": {"class": "nowrap"}}
    )
    actions = tables.Column(
        verbose_name=gettext_lazy("Action"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "nowrap"}},
    )

    class Meta:
        attrs = {"class": "data queue"}
        order_by = ("status",)  # submitted first (selectors.entry.QUEUE_ORDER)
        sequence = ("region", "status", "...", "actions")
        empty_text = gettext_lazy("No reporting unit matches.")

    def __init__(self, *args, period, own=frozenset(), **kwargs):
        self.period = period
        self.own = own  # regions this reviewer entered or submitted (separation of duties)
        super().__init__(*args, **kwargs)

    def render_region(self, record):
        # A place's name never breaks inside (兰州/市): it is the unit that wraps, not its parts.
        return format_html(
            '<span class="place">{}</span> <small class="muted">{}</small>',
            record.name,
            record.code,
        )

    def render_status(self, value):
        return format_html(
            '<span class="badge status-{}">{}</span>', value, SUBMISSION_STATUS_LABELS[value]
        )

    def render_entered_by_name(self, value):
        return _person(value)

    def render_reviewed_by_name(self, value):
        return _person(value)

    def render_last_submitted_at(self, value):
        return _when(value)

    def render_last_reviewed_at(self, value):
        return _when(value)

    def render_on_time(self, value, record):
        if record.status not in ("submitted", "approved"):
            return "—"
        return gettext_lazy("Yes") if value else gettext_lazy("Late")

    def render_actions(self, record):
        """What the link does: review what waits for a decision, else look at the quarter."""
        url = reverse("indicators:review", args=[record.code, str(self.period)])
        if record.status == "submitted":
            if record.code in self.own:
                return format_html(
                    '<a href="{}">{}</a> <small class="muted own-entry">{}</small>',
                    url,
                    _("View"),
                    _("You entered or submitted these counts: another reviewer decides."),
                )
            return format_html('<a class="button primary" href="{}">{}</a>', url, _("Review"))
        return format_html('<a href="{}">{}</a>', url, _("View"))


class CountColumn(tables.Column):
    """A whole number with thousands separators, right-aligned."""

    def render(self, value):
        return f"{value:,}"


def value_column(indicator) -> tables.Column:
    """A right-aligned column for ``value_<code>`` of ``selectors.entry.review_queue``."""
    return CountColumn(
        verbose_name=indicator.name,
        accessor=f"value_{indicator.code}",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
        default="—",
    )


TEMPLATE = "indicators/table.html"


def stack_on_phones(table: tables.Table, *, title: str, first: tuple[str, ...] = ()) -> None:
    """Show each row of ``table`` as a card on a phone (certtrack.css, ``table.stack``): every
    cell carries its column's name (``data-label``) to show beside its value, the ``title``
    column heads the card and the ``first`` columns come next, in that order."""
    table.attrs["class"] = f"{table.attrs.get('class', '')} stack".strip()
    order = {title: "stack-title", **dict(zip(first, ("stack-first", "stack-second",
                                                       "stack-third"), strict=False))}  # fmt: skip
    for name, column in table.columns.items():
        td = dict(column.column.attrs.get("td", {}))
        td["data-label"] = str(column.verbose_name)
        if name in order:
            td["class"] = f"{td.get('class', '')} {order[name]}".strip()
        column.column.attrs = {**column.column.attrs, "td": td}


def badge(css: str, text: str) -> str:
    return format_html('<span class="badge {}">{}</span>', css, text)


def status_badge(status: Status) -> str:
    return badge(f"status-{status.value}", status.label)


def value_state_badges(row) -> str:
    """Badges telling how a value was obtained: awaiting review, incomplete roll-up, and how a
    direct value compares with the sum of the divisions."""
    if row is None or row.value is None:
        return ""
    parts = []
    if not row.complete:
        parts.append(badge("value-incomplete", _("Incomplete roll-up")))
    elif not row.approved:
        parts.append(badge("value-submitted", _("Awaiting review")))
    if row.source.value == "direct" and row.discrepancy:
        parts.append(
            badge(
                "value-discrepancy",
                _("differs from the divisions' sum by %(diff)s")
                % {"diff": f"{row.discrepancy:+,}"},
            )
        )
    return mark_safe(" ".join(parts))  # each part is escaped by format_html


def forecast_text(row: TargetTrendRow, unit: str = "") -> str:
    """What the trend says about a target still ahead, in words (docs/progress.md); a target
    whose due quarter has passed, or whose plan is withdrawn or not yet issued, has none."""
    p = row.progress
    if p.forecast_value is None and p.needed_per_quarter is None:
        return "—"
    parts = []
    if p.forecast_value is not None:
        verdict = _("projected to be met") if p.forecast_meets else _("not projected to be met")
        parts.append(
            _("%(verdict)s: %(value)s by %(due)s")
            % {"verdict": verdict, "value": fmt_int(p.forecast_value), "due": p.due}
        )
        if p.crossing is not None:
            parts.append(_("trend reaches the target in %(q)s") % {"q": p.crossing})
        else:
            parts.append(_("the trend does not reach the target"))
    if p.needed_per_quarter is not None:
        parts.append(
            _("needs %(n)s more per quarter")
            % {"n": f"{fmt_int(p.needed_per_quarter)} {unit}".strip()}
        )
    text = pgettext("list separator", "; ").join(parts)
    return text[:1].upper() + text[1:] if text else "—"


class TargetProgressTable(tables.Table):
    """Targets with their value at the due quarter (or the latest, said so), % achieved, gap,
    status, forecast and a trend line."""

    region_label = gettext_lazy("Targets")

    indicator = tables.Column(gettext_lazy("Indicator"), accessor="target__indicator__name")
    region = tables.Column(gettext_lazy("Region"), accessor="target__region__name")
    due = tables.Column(gettext_lazy("Due"), accessor="target__due")
    target = tables.Column(
        gettext_lazy("Target"),
        accessor="target__value",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    value = tables.Column(
        gettext_lazy("Value"),
        accessor="progress__value",
        attrs={
            "td": {"class": "num", "data-value": lambda record: record.progress.value},
            "th": {"class": "num"},
        },
    )
    percent = tables.Column(
        gettext_lazy("Percent achieved"),
        accessor="progress__percent",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    gap = tables.Column(
        gettext_lazy("Gap"),
        accessor="progress__gap",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    status = tables.Column(gettext_lazy("Status"), accessor="progress__status")
    outlook = tables.Column(
        gettext_lazy("Forecast"), accessor="progress", attrs={"td": {"class": "outlook"}}
    )
    trend = tables.Column(
        gettext_lazy("Trend"), accessor="target__pk", attrs={"td": {"class": "trend"}}
    )

    class Meta:
        template_name = TEMPLATE
        orderable = False
        attrs = {"class": "data targets"}
        row_attrs = {"data-target": lambda record: record.target.pk}
        empty_text = gettext_lazy("No targets.")

    def __init__(self, *args, values: str = "", **kwargs):
        self.values_query = f"?values={values}" if values else ""
        super().__init__(*args, **kwargs)
        # On a phone: per target, its status, % achieved and value first.
        stack_on_phones(self, title="indicator", first=("status", "percent", "value"))

    def render_region(self, record: TargetTrendRow) -> str:
        region = record.target.region
        url = dashboard_url(region.code) + self.values_query
        return format_html('<a class="place" href="{}">{}</a>', url, region.name)

    def render_target(self, record: TargetTrendRow) -> str:
        t = record.target
        text = f"≥ {fmt_int(t.value)} {t.indicator.unit}"
        url = reverse("indicators:target_allocation", args=[t.pk])
        link = format_html(
            '<br><small class="no-print"><a href="{}">{}</a></small>', url, _("Allocation")
        )
        if not t.allocated_from_id:
            return format_html("{}{}", text, link)
        mark = _("allocated from %(parent)s") % {"parent": t.allocated_from_label}
        if t.is_demo:
            mark += " " + _("(demo allocation)")
        return format_html('{}<br><small class="allocated-from">{}</small>{}', text, mark, link)

    def render_value(self, record: TargetTrendRow) -> str:
        p = record.progress
        if p.value is None:
            return "—"
        if p.at_due:
            return fmt_int(p.value)
        if p.status is Status.PENDING:  # context only: the due quarter is not complete yet
            flag = _("latest complete: %(q)s") % {"q": p.measured_at}
        else:
            flag = _("latest: %(q)s") % {"q": p.measured_at}
        # One piece (span): a phone's card shows it whole at the right, not spread apart.
        return format_html(
            '<span>{} <small class="flag">({})</small></span>', fmt_int(p.value), flag
        )

    def render_percent(self, value, record: TargetTrendRow) -> str:
        # Both shares (docs/progress.md, "How far along a target is"): of the target, and of
        # the increase it asks for since the baseline, the baseline quarter named.
        increase = increase_text(record.progress)
        if not increase:
            return fmt_pct(value)
        # Its own line on the screen, beside the percentage in print (dashboard.css).
        return format_html(
            '<span>{} <small class="increase">{}</small></span>', fmt_pct(value), increase
        )

    def render_gap(self, value) -> str:
        return f"{value:+,}"

    def render_status(self, value, record: TargetTrendRow) -> str:
        notes = progress_notes(record.progress, baseline_quarter=record.plan.issued_quarter)
        if not notes:
            return status_badge(Status(value))
        return format_html(
            '{}<small class="status-note">{}</small>',
            status_badge(Status(value)),
            format_html_join("", "<br>{}", ((n,) for n in notes)),
        )

    def render_outlook(self, record: TargetTrendRow) -> str:
        return forecast_text(record, record.target.indicator.unit)

    def render_trend(self, record: TargetTrendRow) -> str:
        fig = sparkline_figure(row=record)
        chart_id = f"spark-{record.target.pk}"
        label = _("Trend of %(indicator)s towards %(target)s by %(due)s") % {
            "indicator": record.target.indicator.name,
            "target": fmt_int(record.target.value),
            "due": record.target.due,
        }
        return chart(figure_payload(fig, static=True), chart_id, label, "sparkline")


def minor_quarters(points) -> set:
    """Quarters the printed table leaves out: not a year end, not among the last four measured,
    and with no target due (the screen and the CSV have every quarter)."""
    measured = sorted(p.period for p in points if not p.is_future)
    recent = set(measured[-4:])
    return {
        p.period
        for p in points
        if p.period.quarter != 4 and p.period not in recent and not p.targets
    }


class SeriesTable(tables.Table):
    """A region's quarterly values for one indicator with the path, forecast and targets."""

    scroll_region = False  # its box (.table-scroll) is the region that scrolls

    period = tables.Column(gettext_lazy("Quarter"))
    value = tables.Column(
        gettext_lazy("Value"),
        empty_values=(),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    state = tables.Column(gettext_lazy("Notes"), accessor="row", empty_values=())
    children_sum = tables.Column(
        gettext_lazy("Sum of the divisions"),
        accessor="row__children_sum",
        default="",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    milestone = tables.Column(
        gettext_lazy("Milestone path"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    forecast = tables.Column(
        gettext_lazy("Forecast (trend)"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    targets = tables.Column(
        gettext_lazy("Target"),
        empty_values=(),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )

    class Meta:
        template_name = TEMPLATE
        orderable = False
        attrs = {"class": "data series"}
        row_attrs = {
            "class": lambda record, table: " ".join(
                c
                for c, on in (("future", record.is_future), ("minor", record.period in table.minor))
                if on
            )
        }

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.minor = minor_quarters(list(data))

    def render_value(self, record: SeriesPoint) -> str:
        if record.is_future:
            return ""
        return fmt_int(record.value)

    def render_state(self, record: SeriesPoint) -> str:
        row = record.row
        if row is None:
            return ""
        if row.value is None:
            return _("no data")
        source = (
            _("entered directly") if row.source.value == "direct" else _("sum of the divisions")
        )
        return format_html("{} {}", source, value_state_badges(row))

    def render_children_sum(self, value, record: SeriesPoint) -> str:
        # Only where it stands beside a direct value; a roll-up's own value is that sum already.
        if record.row is None or record.row.source.value != "direct":
            return ""
        text = fmt_int(value)
        return (
            text
            if record.row.children_complete
            else format_html("{} <small>({})</small>", text, _("incomplete"))
        )

    def render_milestone(self, value) -> str:
        return fmt_int(value)

    def render_forecast(self, value) -> str:
        return fmt_int(value)

    def render_targets(self, record: SeriesPoint) -> str:
        return format_html_join(
            " ",
            '<span class="target-mark">≥ {}</span>',
            ((fmt_int(t.value),) for t in record.targets),
        )


class ChildrenTable(tables.Table):
    """The children at the breakdown quarter, sortable; each links to its own dashboard."""

    region_label = gettext_lazy("Sub-regions")

    name = tables.Column(gettext_lazy("Region"), order_by=("code",))
    value = tables.Column(
        gettext_lazy("Value"),
        attrs={
            "td": {"class": "num", "data-value": lambda record: record.value},
            "th": {"class": "num"},
        },
    )
    share = tables.Column(
        gettext_lazy("Share of the total"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    year_ago = tables.Column(
        gettext_lazy("A year earlier"),
        accessor="year_ago__value",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    growth = tables.Column(
        gettext_lazy("Year on year"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    notes = tables.Column(gettext_lazy("Notes"), accessor="row", orderable=False, empty_values=())

    class Meta:
        template_name = TEMPLATE
        attrs = {"class": "data children"}
        row_attrs = {"data-region": lambda record: record.code}
        empty_text = gettext_lazy("No sub-regions.")

    def __init__(self, *args, values: str = "", anchor: str = "", **kwargs):
        self.values_query = f"?values={values}" if values else ""
        self.anchor = anchor
        super().__init__(*args, **kwargs)

    def render_name(self, record: ChildRow) -> str:
        url = dashboard_url(record.code) + self.values_query
        return format_html('<a class="place" href="{}">{}</a>', url, record.name)

    def render_value(self, value) -> str:
        return fmt_int(value)

    def render_share(self, value) -> str:
        return fmt_pct(value)

    def render_year_ago(self, value) -> str:
        return fmt_int(value)

    def render_growth(self, value) -> str:
        return fmt_pct(value, signed=True)

    def render_notes(self, record: ChildRow) -> str:
        parts = []
        if record.is_part:
            parts.append(badge("value-part", _("a part, not added")))
        if record.value is None:
            parts.append(badge("report-missing", _("no value")))
        return format_html("{} {}", mark_safe(" ".join(parts)), value_state_badges(record.row))


class ReportStatusColumn(tables.Column):
    """A quarter's reporting status as a worded badge: the same few badges in every cell of a
    completeness table (34 × 12 of them for the nation), each drawn once per language."""

    _drawn: dict[tuple, str] = {}

    def render(self, value):
        key = (value, get_language())
        html = self._drawn.get(key)
        if html is None:
            html = self._drawn[key] = format_html(
                '<span class="report report-{}">{}{}</span>',
                value.value,
                report_swatch(value),
                value.label,
            )
        return html


class CompletenessTable(tables.Table):
    """Reporting status of each child × quarter, in words (the heatmap's numbers)."""

    scroll_region = False  # for screen readers only: never a box to scroll

    region = tables.Column(gettext_lazy("Region"))

    class Meta:
        template_name = TEMPLATE
        orderable = False
        attrs = {"class": "data completeness"}

    def __init__(self, rows: list[CompletenessRow], quarters, **kwargs):
        data = []
        for row in rows:
            record = {"region": row.region.name, "is_part": row.is_part}
            for cell in row.cells:
                record[str(cell.period)] = cell.status
            data.append(record)
        extra = [(str(q), ReportStatusColumn(str(q), orderable=False)) for q in quarters]
        super().__init__(data, extra_columns=extra, **kwargs)

    def render_region(self, value, record) -> str:
        if record["is_part"]:
            return format_html("{} <small>({})</small>", value, _("part"))
        return value
