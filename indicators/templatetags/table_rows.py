"""``{% table_rows table %}``: a django-tables2 table's rows without the template engine
(``certtrack.tables2.tbody_html``), for indicators/table.html."""

from django import template

from certtrack.tables2 import tbody_html

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    """The table's ``<tbody>``, or "" where the template must draw it (then ``block.super``)."""
    html = tbody_html(table, context)
    return "" if html is None else html
