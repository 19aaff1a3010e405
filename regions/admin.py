"""Django admin of regions (saved through regions.services) and users with their memberships."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["region"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__code", "region__name_zh"]
    autocomplete_fields = ["user", "region"]


# Users are edited with their memberships beside them.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class CertTrackUserAdmin(UserAdmin):
    inlines = [MembershipInline]
