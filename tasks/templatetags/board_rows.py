"""The task board's rows, written in Python: a national plan's board draws 510 rows, and the
template loop that drew them resolved 15,000 variables and 5,700 nodes a view (most of the
board's time after its reads; issue 25). The HTML is the loop's, character for character
(compared on the national set and the demo when the loop was replaced)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape as esc
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from tasks.templatetags.tasks_tags import (
    period_label,
    periods_text,
    progress_badge,
    report_url,
    state_badge,
    task_url,
    unit_links,
    unit_url,
)

register = template.Library()


def _words() -> dict[str, str]:
    """The column labels of every row, translated once."""
    return {
        "unit": _("Lead unit"),
        "latest": _("Latest report"),
        "progress": _("Progress"),
        "state": _("Report state"),
        "outstanding": _("Outstanding"),
        "responsible": _("Responsible: "),
        "now": _("now: "),
        "none": _("none yet"),
        "report": _("Report"),
        "demo": _("Demo"),
        "due": pgettext("task report", "Due"),
        "draft": _("Draft"),
        "review": _("Review"),
    }


def _row(row, *, first: bool, item, top, board, w: dict[str, str]) -> str:
    unit, task, latest = row.unit, row.task, row.latest
    head = ""
    if first:
        head = format_html(
            '<th scope="rowgroup" rowspan="{}">\n'
            '          <a href="{}"><span class="task-no">{}</span>{}</a>\n'
            '          <div class="responsible">{}{}</div>\n'
            "        </th>",
            len(item.rows),
            task_url(top.task),
            item.task.number_label,
            top.task.title,
            w["responsible"],
            unit_links(item.responsible),
        )
    current = unit.current_name
    title = format_html(' title="{}{}"', w["now"], current) if current else ""
    if latest:
        shown = format_html(
            '<a href="{}">{}</a>{}',
            report_url(task, unit, latest.period),
            period_label(latest.period),
            format_html(' <span class="badge demo">{}</span>', w["demo"]) if latest.is_demo else "",
        )
        progress, state = progress_badge(latest.status), state_badge(latest.state)
    else:
        shown = format_html('<span class="muted">{}</span>', w["none"])
        progress, state = progress_badge(""), "—"
    if row.overdue:
        n = len(row.overdue)
        label = ngettext("Overdue: %(n)s period", "Overdue: %(n)s periods", n) % {"n": n}
        owed = format_html(
            '<span class="badge overdue" title="{}">{}</span>',
            periods_text(row.overdue),
            mark_safe(label),  # the catalogue's text; the number is an int
        )
    elif row.outstanding:
        owed = format_html(
            '<span class="badge due" title="{}">{}</span>', periods_text(row.outstanding), w["due"]
        )
    else:
        owed = "—"
    action = ""
    if row.can_report:
        period = row.outstanding[-1] if row.outstanding else board.current_period
        action = format_html(
            '<a href="{}">{} {}</a>', report_url(task, unit, period), w["report"], period
        )
        if row.own_draft:
            action += format_html(' <span class="badge state-draft">{}</span>', w["draft"])
    review = ""
    if board.can_review and latest and latest.state == "submitted":
        review = format_html(
            '<a href="{}">{}</a>', report_url(task, unit, latest.period), w["review"]
        )
    classes = ("item-start" if first else "") + (" is-overdue" if row.overdue else "")
    return (
        f'\n      <tr class="{classes}" data-unit="{esc(unit.code)}">\n'
        f"        {head}\n"
        f'        <td class="stack-title" data-label="{w["unit"]}"><a class="place" '
        f'href="{unit_url(unit)}"{title}>{esc(unit.name)}</a></td>\n'
        f'        <td class="nowrap" data-label="{w["latest"]}"><span>{shown}</span></td>\n'
        f'        <td class="task-progress stack-first" data-label="{w["progress"]}">'
        f"{progress}</td>\n"
        f'        <td class="task-state stack-second" data-label="{w["state"]}">{state}</td>\n'
        f'        <td class="nowrap" data-label="{w["outstanding"]}">{owed}</td>\n'
        f'        <td class="no-print nowrap stack-action">{action}\n'
        f"          {review}</td>\n"
        f"      </tr>\n    "
    )


@register.simple_tag
def board_rows(item, top, board) -> str:
    """Every row of one reportable task ``item`` of the numbered task ``top`` on ``board``."""
    # Safe as the template's {% translate %} words were: the catalogue's text.
    w = {k: mark_safe(v) for k, v in _words().items()}
    return mark_safe(
        "".join(
            _row(row, first=i == 0, item=item, top=top, board=board, w=w)
            for i, row in enumerate(item.rows)
        )
    )
