"""How an account's history names what changed: the field's label in the page's language (the
stored key, such as ``name_en``, is for the record, not for the page)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.models import Profile
from regions.models import Membership

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
        # Fields only the Django admin edits: named as the admin names them.
        "last_name": _("last name"),
        "staff": _("staff status"),
        "superuser": _("superuser status"),
        "groups": _("groups"),
        "permissions": _("user permissions"),
    }


@register.filter
def change_label(field: str) -> str:
    return _labels().get(field, field)


# Values that are codes, in neither language (usernames, mail, region and unit codes).
_CODES = {"username", "email", "mailed", "region", "unit"}


@register.filter
def change_value(value, field: str = ""):
    """A value as the page shows it: the active flag and the source as words, a role
    (``reviewer@620100``) as its name and region code, codes marked as such; '—' for nothing."""
    if isinstance(value, bool) and field == "active":
        return _("active") if value else _("deactivated")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value in ("", None):
        return "—"
    if field == "role" and "@" in str(value):
        role, code = str(value).split("@", 1)
        label = dict(Membership.Role.choices).get(role, role)
        return format_html('{} <span lang="zxx">{}</span>', label, code)
    if field == "source":
        return dict(Profile.Source.choices).get(value, value)
    if field in _CODES:
        return format_html('<span lang="zxx">{}</span>', value)
    return value
