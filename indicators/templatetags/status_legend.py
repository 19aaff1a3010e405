"""``{% status_legend "progress" %}`` (or "submission", "report"): a short legend beside a table
of statuses, saying in one line what each status means (docs/progress.md has the rules)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from indicators.progress import Status
from indicators.selectors.completeness import REPORT_STATUS_ORDER, ReportStatus
from indicators.selectors.entry import NOT_STARTED, SUBMISSION_STATUS_LABELS
from indicators.templatetags.dashboard import report_swatch

register = template.Library()


def _progress() -> list[tuple[str, str, str]]:
    meaning = {
        Status.ACHIEVED: _("the due quarter's value reaches the target"),
        Status.MISSED: _("the due quarter's value falls short of the target"),
        Status.ON_TRACK: _("ahead of the milestone path towards the target"),
        Status.AT_RISK: _("a little below the milestone path"),
        Status.BEHIND: _("well below the milestone path"),
        Status.PENDING: _("due quarter passed, its value not complete yet: not judged"),
        Status.NOT_ISSUED: _("before the plan was issued"),
        Status.NO_DATA: _("nothing reported yet"),
    }
    return [(f"is-{s.value}", s.label, text) for s, text in meaning.items()]


def _submission() -> list[tuple[str, str, str]]:
    meaning = {
        "submitted": _("waiting for review"),
        "returned": _("sent back to the official with a comment"),
        "draft": _("saved by the official, not submitted"),
        NOT_STARTED: _("nothing entered for the quarter"),
        "approved": _("checked and locked"),
    }
    return [(f"is-{k}", str(SUBMISSION_STATUS_LABELS[k]), v) for k, v in meaning.items()]


def _report() -> list[tuple[str, str, str]]:
    meaning = {
        ReportStatus.MISSING: _("nothing entered for the quarter"),
        ReportStatus.RETURNED: _("sent back to the official"),
        ReportStatus.DRAFT: _("saved, not submitted"),
        ReportStatus.SUBMITTED: _("waiting for review"),
        ReportStatus.APPROVED: _("checked and locked"),
        ReportStatus.NOT_EXPECTED: _("not a reporting unit"),
    }
    return [(s, s.label, meaning[s]) for s in REPORT_STATUS_ORDER]


KINDS = {"progress": _progress, "submission": _submission, "report": _report}


@register.simple_tag
def status_legend(kind: str) -> str:
    """What each status of ``kind`` means: its badge (the heatmap's colour for "report") and a
    few words. The badges are styled as the statuses' (``is-<status>``) but never carry a
    status's own class, which marks a status actually shown."""
    if kind == "report":
        items = format_html_join(
            "",
            "<div><dt>{}{}</dt><dd>{}</dd></div>",
            ((report_swatch(s), label, text) for s, label, text in _report()),
        )
    else:
        items = format_html_join(
            "",
            '<div><dt><span class="badge {}">{}</span></dt><dd>{}</dd></div>',
            KINDS[kind](),
        )
    return format_html('<dl class="status-legend status-legend-{}">{}</dl>', kind, items)
