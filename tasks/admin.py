"""Admin: units, their members and users, schedules, groups and tasks are data an administrator
keeps; reports, their files and history are shown for inspection only (every write goes through
the report page's workflow, ``tasks.services``)."""

from django.contrib import admin

from tasks.models import (
    ReportingSchedule,
    Task,
    TaskAttachment,
    TaskGroup,
    TaskReport,
    TaskReportEvent,
    TaskUnit,
    Unit,
    UnitMember,
    UnitMembership,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitMembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["user"]


class UnitMemberInline(admin.TabularInline):
    """For a collective unit: the units it stands for."""

    model = UnitMember
    fk_name = "collective"
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = [
        "name_zh",
        "current_name_zh",
        "name_en",
        "kind",
        "region",
        "sort_order",
        "active",
    ]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name_zh", "name_en", "full_name_zh", "current_name_zh"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    inlines = [UnitMemberInline, UnitMembershipInline]


@admin.register(UnitMembership)
class UnitMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit"]
    search_fields = ["user__username", "unit__name_zh", "unit__name_en"]
    autocomplete_fields = ["user", "unit"]


@admin.register(ReportingSchedule)
class ReportingScheduleAdmin(admin.ModelAdmin):
    list_display = ["plan", "period_kind", "deadline_days", "starts_on", "ends_on"]
    autocomplete_fields = ["plan"]


class TaskUnitInline(admin.TabularInline):
    model = TaskUnit
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(TaskGroup)
class TaskGroupAdmin(admin.ModelAdmin):
    list_display = ["plan", "number", "title_zh", "short_zh"]
    list_filter = ["plan"]
    search_fields = ["title_zh", "title_en"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "item", "title_zh", "plan", "group", "lead_text"]
    list_filter = ["plan"]
    search_fields = ["title_zh", "title_en", "text"]
    list_select_related = ["plan", "group"]
    inlines = [TaskUnitInline]


class TaskReportEventInline(ReadOnlyMixin, admin.TabularInline):
    """The audit trail of a report: never edited or deleted."""

    model = TaskReportEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "user", "old_state", "new_state", "old_status", "new_status",
              "comment", "file_name", "version"]  # fmt: skip
    readonly_fields = fields


class TaskAttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = TaskAttachment
    extra = 0
    can_delete = False
    fields = ["original_name", "file_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(TaskReport)
class TaskReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "task",
        "unit",
        "period",
        "status",
        "state",
        "submitted_at",
        "version",
        "is_demo",
    ]
    list_filter = ["state", "status", "period", "is_demo"]
    search_fields = ["unit__name_zh", "task__title_zh"]
    list_select_related = ["task", "unit"]
    inlines = [TaskAttachmentInline, TaskReportEventInline]


@admin.register(TaskReportEvent)
class TaskReportEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "report", "action", "user", "old_state", "new_state", "file_name"]
    list_filter = ["action"]
    list_select_related = ["report__task", "report__unit", "user"]
