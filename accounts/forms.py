"""Forms of the user pages: they parse input; scope is checked again by the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import regions_grantable_by, units_grantable_by
from regions.models import Membership, Region


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.code} {obj.name}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.region.name})"


class AccountForm(forms.Form):
    """A new account: its username, 姓名, English name, mail, phone, region or unit, roles."""

    username = forms.CharField(label=_("Username"), max_length=150)
    name = forms.CharField(label=_("Name"), max_length=150)
    name_en = forms.CharField(
        label=_("English name"),
        max_length=150,
        required=False,
        help_text=_("Shown on English pages; without it they show the username."),
    )
    email = forms.EmailField(label=_("Mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=Region.objects.none(), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles in the region"),
        choices=Membership.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_grantable_by(admin)
        self.fields["unit"].queryset = units_grantable_by(admin).order_by("sort_order", "code")

    def clean(self):
        data = super().clean()
        if not data.get("region") and not data.get("unit"):
            self.add_error("region", _("Give a region or a unit."))
        if data.get("roles") and not data.get("region"):
            self.add_error("roles", _("Roles are held in a region: choose the region."))
        return data


class AccountEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    name_en = forms.CharField(label=_("English name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)


class MembershipGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_grantable_by(admin)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class DirectoryGroupMappingForm(forms.Form):
    group = forms.CharField(
        label=_("Directory group"),
        max_length=500,
        help_text=_(
            "The group's full name in the directory (for LDAP its DN), as the directory gives it."
        ),
    )
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_grantable_by(admin)
