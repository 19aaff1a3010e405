"""Small presentation helpers shared by every page (badges for statuses)."""

from django import template
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from indicators.models import Plan
from indicators.progress import Status, increase_text, round_half_up

register = template.Library()


@register.simple_tag
def status_badge(status) -> str:
    """A coloured badge for a progress status; the text, not only the colour, carries the meaning."""
    status = Status(status)
    return format_html('<span class="badge status-{}">{}</span>', status.value, status.label)


@register.simple_tag
def plan_status_badge(plan: Plan) -> str:
    if plan.status == Plan.Status.INVALIDATED:
        year = plan.invalidated_year
        # The document number is Chinese-only data: marked lang="zh-Hans" (docs/glossary.md).
        text = format_html(
            escape(_("Invalidated in %(year)s by %(doc)s") % {"year": year or "?", "doc": "\0"})
            .replace("{", "{{")
            .replace("}", "}}")
            .replace("\0", "{}"),
            doc_number(plan.invalidated_by),
        )
        return format_html('<span class="badge plan-invalidated">{}</span>', text)
    return format_html('<span class="badge plan-in-force">{}</span>', _("In force"))


@register.filter
def num(value) -> str:
    """A whole number with thousands separators (11,000); an em dash where nothing is known."""
    if value is None or value == "":
        return "—"
    try:
        return f"{round(float(value)):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def pct(value, digits: int = 2) -> str:
    """A percentage (97.63%), rounded half up as everywhere (``progress.round_half_up``); an
    em dash where nothing is known."""
    if value is None:
        return "—"
    return f"{round_half_up(float(value), int(digits)):.{int(digits)}f}%"


@register.filter
def increase(progress) -> str:
    """The share of a target's required increase achieved since its baseline, in words, the
    baseline quarter named (``progress.increase_text``); "" where there is none."""
    return increase_text(progress)


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """This page's query string with ``page`` set to ``number``: the values shown, the quarter
    and any other choice stay as they are."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.filter
def doc_number(number) -> str:
    """A document number (甘政办发〔2018〕145号): Chinese-only data, marked as such."""
    if not number:
        return ""
    return format_html('<span class="doc-number" lang="zh-Hans">{}</span>', number)


@register.filter
def fix2(value) -> str:
    """An exact number of the assessment (a Fraction) as it is shown everywhere: rounded half
    up once, always two decimals, thousands separated (48.775 → 48.78, 54 → 54.00); an em
    dash where nothing is known."""
    from indicators.selectors.assessment import shown

    if value is None or value == "":
        return "—"
    return f"{shown(value):,.2f}"
