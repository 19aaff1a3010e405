"""Presentation helpers of the entry and review pages."""

from django import template
from django.utils.html import format_html

from indicators.progress import round_half_up
from indicators.selectors.entry import SUBMISSION_STATUS_LABELS
from regions.people import display_name

register = template.Library()


@register.filter
def signed(value) -> str:
    """A change with its sign and thousands separators (+1,200, −35, 0); em dash if unknown."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:+,}".replace("-", "−")


@register.filter
def signed_pct(share) -> str:
    """A relative change as a signed percentage (+3.5%); em dash if unknown."""
    if share is None:
        return "—"
    return f"{round_half_up(share * 100, 1):+.1f}%".replace("-", "−")


@register.simple_tag
def submission_badge(status) -> str:
    """The workflow status of a region-quarter or a count; text carries the meaning."""
    if not status:
        return ""
    label = SUBMISSION_STATUS_LABELS.get(status, status)
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.filter
def share_pct(share) -> str:
    """A share as a percentage (0.733 -> 73.3%); em dash if unknown."""
    if share is None:
        return "—"
    return f"{round_half_up(share * 100, 1):.1f}%"


@register.filter
def person(user) -> str:
    """A user's full name, else the username; em dash for nobody (a deleted user)."""
    if user is None:
        return "—"
    return display_name(user)
