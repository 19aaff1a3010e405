"""The register in the Django admin: reference types editable, the register itself read-only
(it changes only through imports)."""

from django.contrib import admin

from register.models import Certificate, CertificationType, Organization, RegisterImport


@admin.register(CertificationType)
class CertificationTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "group", "standard", "sort_order"]
    list_filter = ["group"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"code", "group"} & set(form.changed_data):
            # the kept stock cells count by type code and group (register/stocks.py)
            from register.stocks import register_stocks_rebuild

            register_stocks_rebuild()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(_ReadOnly):
    list_display = ["credit_code", "name", "region"]
    search_fields = ["credit_code", "name"]


@admin.register(Certificate)
class CertificateAdmin(_ReadOnly):
    list_display = ["number", "body", "type", "holder", "issued_on", "expires_on", "status"]
    list_filter = ["type", "status"]
    search_fields = ["number", "holder__name", "holder__credit_code"]
    list_select_related = ["type", "holder"]


@admin.register(RegisterImport)
class RegisterImportAdmin(_ReadOnly):
    list_display = ["file_name", "user", "created_at", "rows_added", "rows_changed"]
