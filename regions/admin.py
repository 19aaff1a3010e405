"""Django admin of regions (saved through regions.services) and users with their memberships;
groups. Everything in the page's language: permissions are named from their model's translated
name (Django stores "Can add log entry" in English), and a new user is asked for a real name
(the display name every page and mail uses, regions.people)."""

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    SetUnusablePasswordMixin,
)
from django.contrib.auth.models import Group, Permission
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.services import admin_account_saved, admin_role_changed
from regions.models import Membership, Region
from regions.services import region_save


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "level",
        "kind",
        "parent",
        "is_reporting_unit",
        "active",
    ]
    list_filter = ["level", "kind", "is_reporting_unit", "active"]
    search_fields = ["code", "name_zh", "name_en"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        # Paths of the region and its subtree are kept by the service, never by hand.
        region_save(region=obj)
        if not change or {"parent", "kind", "active"} & set(form.changed_data):
            # The tree changed shape: every roll-up above may differ.
            from indicators.rollups import rollups_rebuild

            rollups_rebuild()
        if change and {"parent", "code"} & set(form.changed_data):
            # A subtree moved: the register's kept stocks of its old and new ancestors too.
            from register.stocks import register_stocks_rebuild

            register_stocks_rebuild()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["region"]


def _role_before(form) -> Membership | None:
    """The role a bound membership form was opened with (None for a new one)."""
    if form.instance.pk is None or not form.initial.get("region"):
        return None
    region = Region.objects.filter(pk=form.initial["region"]).first()
    if region is None:
        return None
    return Membership(user_id=form.instance.user_id, role=form.initial.get("role"), region=region)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles, each change recorded in the account's history (accounts.services)."""

    list_display = ["user", "role", "region"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__code", "region__name_zh"]
    autocomplete_fields = ["user", "region"]

    def save_model(self, request, obj, form, change):
        old = _role_before(form) if change else None
        super().save_model(request, obj, form, change)
        if old is not None and old.user_id != obj.user_id:  # the role moved to another account
            admin_role_changed(actor=request.user, account=old.user, old=old, new=None)
            old = None
        admin_role_changed(actor=request.user, account=obj.user, old=old, new=obj)

    def delete_model(self, request, obj):
        user, region = obj.user, obj.region
        super().delete_model(request, obj)
        obj.region = region
        admin_role_changed(actor=request.user, account=user, old=obj, new=None)

    def delete_queryset(self, request, queryset):
        gone = list(queryset.select_related("user", "region"))
        super().delete_queryset(request, queryset)
        for obj in gone:
            admin_role_changed(actor=request.user, account=obj.user, old=obj, new=None)


def permission_label(permission: Permission) -> str:
    """ "认证和授权 | 用户 | 可以添加用户": the app's and the model's translated names and the
    action in the page's language (the stored name is English: "Can add user")."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:  # a model removed since: its stored name is all there is
        return f"{content_type.app_label} | {content_type.model} | {permission.name}"
    opts = model._meta
    action, _sep, rest = permission.codename.partition("_")
    templates = {
        "add": gettext("Can add %(model)s"),
        "change": gettext("Can change %(model)s"),
        "delete": gettext("Can delete %(model)s"),
        "view": gettext("Can view %(model)s"),
    }
    if action in templates and rest == opts.model_name:
        name = templates[action] % {"model": opts.verbose_name}
    else:
        name = gettext(permission.name)
    app = apps.get_app_config(opts.app_label).verbose_name
    return f"{app} | {opts.verbose_name} | {name}"


class _TranslatedPermissions:
    """Permission choices labelled by :func:`permission_label`."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Permission:
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


class UserCreationForm(AdminUserCreationForm):
    """The new user's username, real name, mail address and password."""

    first_name = forms.CharField(
        label=_("Real name"),
        max_length=150,
        help_text=_(
            "As colleagues know the person, e.g. Zhang San: shown on pages, in the change log "
            "and in mails instead of the username."
        ),
    )

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "first_name", "email")


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django 5.2 appends an untranslated English warning to the help text of "password-based
    authentication"; the warning here is translated."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}'
                "</li></ul>",
                SetUnusablePasswordMixin.usable_password_help_text,
                gettext("If disabled, the current password for this user will be lost."),
            )


# Users are edited with their memberships beside them.
User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class CertTrackUserAdmin(_TranslatedPermissions, UserAdmin):
    inlines = [MembershipInline]
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("username", "first_name", "email", "is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")

    # Every save here is recorded in the account's history, as the account pages' saves are.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        admin_account_saved(actor=request.user, account=obj, created=not change, form=form)

    def save_formset(self, request, form, formset, change):
        before = {f.instance.pk: _role_before(f) for f in formset.forms if f.instance.pk}
        super().save_formset(request, form, formset, change)
        if formset.model is not Membership:
            return
        for obj in formset.new_objects:
            admin_role_changed(actor=request.user, account=form.instance, old=None, new=obj)
        for obj, _fields in formset.changed_objects:
            old = before.get(obj.pk)
            admin_role_changed(actor=request.user, account=form.instance, old=old, new=obj)
        for obj in formset.deleted_objects:
            admin_role_changed(actor=request.user, account=form.instance, old=obj, new=None)


@admin.register(Group)
class CertTrackGroupAdmin(_TranslatedPermissions, GroupAdmin):
    pass
