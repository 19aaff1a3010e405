"""How an account's history names what changed: the field's label in the page's language (the
stored key, such as ``name_en``, is for the record, not for the page)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _labels() -> dict[str, str]:
    return {
        "username": _("Username"),
        "name": _("Name"),
        "name_en": _("English name"),
        "email": _("Mail"),
        "phone": _("Phone"),
        "region": _("Region"),
        "unit": _("Unit"),
        "role": _("Role"),
        "active": _("Status"),
        "mailed": _("Mail"),
        "source": _("Signs in with"),
    }


@register.filter
def change_label(field: str) -> str:
    return _labels().get(field, field)


@register.filter
def change_value(value) -> str:
    """True/False of the active flag as words; anything else as stored; em dash for nothing."""
    if value is True:
        return _("active")
    if value is False:
        return _("deactivated")
    return value if value not in ("", None) else "—"
