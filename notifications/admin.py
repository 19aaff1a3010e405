"""Admin: notifications, preferences, and the record of every reminder mail (read-only)."""

from django.contrib import admin

from notifications.models import Notification, Preference, SentMail


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "region", "year", "quarter", "actor", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "region__code", "region__name_zh")
    raw_id_fields = ("user", "actor", "region")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = (
        "user", "email_enabled", "email_confirmed", "language", "last_language", "seen_until",
    )  # fmt: skip
    search_fields = ("user__username", "email_confirmed")
    raw_id_fields = ("user",)
    # Proven only by its owner opening the link mailed to it (docs/deploy.md, section 6a).
    readonly_fields = ("email_confirmed",)


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    """Who got which digest, when, and whether the mail server took it (or its error)."""

    list_display = ("day", "user", "recipient", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "day")
    search_fields = ("user__username", "recipient", "subject")
    readonly_fields = [f.name for f in SentMail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
