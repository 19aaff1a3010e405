"""Template helpers of the register beside the counts: one indicator's register figures."""

from django import template

register = template.Library()


@register.filter
def register_of(figures: dict | None, code: str) -> dict | None:
    """``{"value": …, "difference": …}`` of one indicator, from :func:`register_figures`."""
    return (figures or {}).get(code)


def register_figures(counts: dict[str, int | None], rows) -> dict[str, dict] | None:
    """The register's value of each indicator beside the submission's ``rows``, and the
    difference (value entered minus register); None when the register holds nothing."""
    if all(v is None for v in counts.values()):
        return None
    figures = {}
    for row in rows:
        reg = counts.get(row.indicator.code)
        value = row.value
        figures[row.indicator.code] = {
            "value": reg,
            "difference": value - reg if reg is not None and value is not None else None,
        }
    return figures
