"""Badges and links of the task pages: the text, not only the colour, carries the meaning."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from certtrack.paths import path_for
from tasks import demo
from tasks.models import TaskReport
from tasks.periods import ReportPeriod

register = template.Library()

STATUS_LABELS = dict(TaskReport.Status.choices)
STATE_LABELS = dict(TaskReport.State.choices)


# A badge's HTML by language and value, made once: a national plan's board draws two badges on
# each of its 510 rows (issue 25). The labels are the translation catalogue's, fixed for a
# process.
_BADGES: dict[tuple, str] = {}


def _badge(kind: str, value, make) -> str:
    key = (kind, get_language(), value)
    if key not in _BADGES:
        _BADGES[key] = make()
    return _BADGES[key]


def _labelled_badge(kind: str, value, labels: dict, missing) -> str:
    """``<span class="badge {kind}-{value}">`` with the value's label, or ``{kind}-none`` with
    ``missing()`` where there is no value; made once per value and language (``_badge``)."""
    if not value:
        return _badge(
            kind,
            "",
            lambda: format_html('<span class="badge {}-none">{}</span>', kind, missing()),
        )
    return _badge(
        kind,
        value,
        lambda: format_html(
            '<span class="badge {}-{}">{}</span>', kind, value, labels.get(value, value)
        ),
    )


@register.simple_tag
def progress_badge(status) -> str:
    """未启动 / 推进中 / 已完成 / 滞后, or "no report" where there is none."""
    return _labelled_badge("progress", status, STATUS_LABELS, lambda: _("No report"))


@register.simple_tag
def state_badge(state) -> str:
    return _labelled_badge(
        "state", "" if state == "none" else state, STATE_LABELS, lambda: _("Not written")
    )


# Paths remembered (certtrack.paths): a board links every row's report, unit and task.
@register.simple_tag
def report_url(task, unit, period) -> str:
    return path_for("tasks:report", task.pk, unit.pk, period)


@register.simple_tag
def unit_url(unit) -> str:
    return path_for("tasks:unit", unit.pk)


@register.simple_tag
def task_url(task) -> str:
    return path_for("tasks:task", task.pk)


@register.filter
def period_label(period) -> str:
    if not period:
        return "—"
    if isinstance(period, str):
        try:
            period = ReportPeriod.parse(period)
        except ValueError:
            return period
    return period.label


@register.simple_tag
def unit_links(units, sep="、") -> str:
    """Links to the units' pages; a renamed unit shows its current name on hover."""
    return format_html_join(
        sep,
        '<a href="{}" class="unit-link place"{}>{}</a>',  # a name never breaks inside
        (
            (
                path_for("tasks:unit", u.pk),
                format_html(' title="{}: {}"', _("now"), u.current_name) if u.current_name else "",
                u.name,
            )
            for u in units
        ),
    )


@register.filter
def periods_text(periods) -> str:
    return "、".join(str(p) for p in periods)


@register.filter
def report_text(report, field: str) -> str:
    """A report's text in the page's language where it is the demo's (:func:`demo.shown_text`)."""
    return demo.shown_text(report, field)


@register.filter
def event_comment(event) -> str:
    """A history entry's comment, as :func:`report_text` shows the review comment."""
    return demo.shown_text(event.report, "review_comment", event.comment)
