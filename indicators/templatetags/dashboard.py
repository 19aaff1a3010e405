"""Template helpers of the dashboards: a chart container with its figure JSON beside it."""

from django import template
from django.utils.html import format_html, json_script

register = template.Library()


@register.simple_tag
def chart(payload: dict, chart_id: str, label: str, css: str = "") -> str:
    """``<div data-chart>`` plus the figure as ``json_script``; static/js/charts.js draws it.

    ``label`` says in words what the chart shows (screen readers; the numbers are in the table
    beside it).
    """
    data_id = f"{chart_id}-data"
    return format_html(
        '<div class="chart {}" id="{}" data-chart="{}" role="img" aria-label="{}"></div>{}',
        css,
        chart_id,
        data_id,
        label,
        json_script(payload, data_id),
    )


@register.simple_tag
def data_links(links: dict) -> str:
    """'Data: table · machine-readable' for the numbers behind a chart (docs/api.md): the
    files are the CSV and the JSON, named in words a user reads (no developer words on a page,
    issue 22.7); the ``type`` attribute and the address carry the format."""
    from django.utils.translation import gettext as _

    return format_html(
        '<p class="data-links no-print">{}<a href="{}" type="text/csv">{}</a> · '
        '<a href="{}" type="application/json">{}</a></p>',
        _("Data: "),  # the colon of the language (docs/glossary.md: "数据：")
        links["csv"],
        _("table"),
        links["json"],
        _("machine-readable"),
    )


# Legend keys drawn as small SVGs from charts.PALETTE, so the colours are defined once (in
# charts.py) and no inline style is needed (CSP): SVG presentation attributes are not styles.
_KEY_SHAPES = {
    "value": '<line x1="1" y1="6" x2="25" y2="6" stroke="{approved}" stroke-width="2.5"/>'
    '<circle cx="13" cy="6" r="3.5" fill="{approved}"/>',
    "submitted": '<circle cx="13" cy="6" r="4" fill="none" stroke="{submitted}" stroke-width="2"/>',
    "incomplete": '<rect x="9" y="2" width="8" height="8" fill="none" stroke="{incomplete}" '
    'stroke-width="2"/>',
    "children_sum": '<path d="M9 2 L17 10 M17 2 L9 10" stroke="{children_sum}" stroke-width="2"/>',
    "target": '<path d="M13 0.5 L18.5 6 L13 11.5 L7.5 6 Z" fill="{target}"/>',
    "milestone": '<line x1="1" y1="6" x2="25" y2="6" stroke="{milestone}" stroke-width="2" '
    'stroke-dasharray="5 3"/>',
    "forecast": '<line x1="1" y1="6" x2="25" y2="6" stroke="{forecast}" stroke-width="2" '
    'stroke-dasharray="1.5 3" stroke-linecap="round"/>',
    "crossing": '<path d="M13 1 L14.6 4.8 L18.7 5.1 L15.6 7.7 L16.5 11.5 L13 9.5 L9.5 11.5 '
    'L10.4 7.7 L7.3 5.1 L11.4 4.8 Z" fill="{forecast}"/>',
}


@register.simple_tag
def legend_key(kind: str) -> str:
    """A legend entry: the series' key drawn as in the charts, then its name."""
    from django.utils.safestring import mark_safe

    from indicators.charts import PALETTE, series_names

    shape = _KEY_SHAPES[kind].format(**PALETTE)
    return format_html(
        '<span class="legend-key"><svg class="key" width="26" height="12" viewBox="0 0 26 12" '
        'aria-hidden="true">{}</svg>{}</span>',
        mark_safe(shape),  # built from the constant shapes and palette above
        series_names()[kind],
    )


@register.simple_tag
def report_swatch(status) -> str:
    """A square in the heatmap's colour for a reporting status."""
    from indicators.charts import REPORT_COLOURS

    return format_html(
        '<svg class="swatch" width="11" height="11" viewBox="0 0 11 11" aria-hidden="true">'
        '<rect width="11" height="11" rx="2" fill="{}" stroke="#8c939d" stroke-width="0.6"/></svg>',
        REPORT_COLOURS[status],
    )
