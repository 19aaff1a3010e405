"""How the charts write text: numbers (``fmt_int``, ``fmt_pct``) and names from people
(``label``: literal, never plotly markup). Pure; ``charts.py`` re-exports them."""

from __future__ import annotations

import html

from django.utils.translation import gettext as _

from indicators.progress import round_half_up


def fmt_int(value: float | None) -> str:
    """11000 -> '11,000' (the separators of both languages here); '—' for nothing. A forecast
    (a float) is rounded half up to a whole number (12,500.5 → 12,501), the one rounding of a
    forecast on the page and in the brief."""
    return "—" if value is None else f"{int(round_half_up(value, 0)):,}"


def fmt_pct(value: float | None, *, signed: bool = False) -> str:
    """97.625 -> '97.63%': two decimals, rounded half up as in the JSON, CSV and Excel
    (``progress.round_half_up``); '—' for nothing."""
    if value is None:
        return "—"
    value = round_half_up(value, 2)
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


def label(text: object) -> str:
    """Text from people (a region's or plan's name, a unit) as plotly shows it: literally.

    plotly.js renders a subset of HTML in every label, hover text and axis title (``<b>``,
    ``<br>``, ``<a href>``, ``<span style>``): a region named ``<a href=…>`` would become a link.
    Escaping ``&``, ``<`` and ``>`` makes plotly draw the characters themselves (it decodes
    ``&lt;``, ``&gt;`` and ``&amp;`` back to text, never to tags)."""
    return html.escape(str(text), quote=False)


def part_label(name: str) -> str:
    """A zone's name marked as a part of its parent (never added into the parent's total)."""
    return _("%(name)s (part)") % {"name": label(name)}
