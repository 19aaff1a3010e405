"""The user administrator's pages and the one-time set-password page."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.users_list, name="list"),
    path("users/new/", views.user_new, name="new"),
    path("users/<int:pk>/", views.user_detail, name="detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="edit"),
    path("users/<int:pk>/active/", views.user_active, name="active"),
    path("users/<int:pk>/roles/", views.user_grant, name="grant"),
    path("users/<int:pk>/roles/<int:membership_id>/remove/", views.user_revoke, name="revoke"),
    path("users/<int:pk>/password-link/", views.user_password_link, name="password_link"),
    path("users/links/", views.links, name="links"),
    path("users/links.xlsx", views.links_export, name="links_export"),
    path("users/links/clear/", views.links_clear, name="links_clear"),
    path("users/import/", views.import_upload, name="import"),
    path("users/import/confirm/", views.import_confirm, name="import_confirm"),
    path("users/import/template.xlsx", views.import_template, name="import_template"),
    path("users/directory-groups/", views.directory_groups, name="directory_groups"),
    path(
        "users/directory-groups/<int:mapping_id>/remove/",
        views.directory_group_remove,
        name="directory_group_remove",
    ),
    path("accounts/no-role/", views.no_role, name="no_role"),
    # OpenID Connect (accounts.directory_oidc): start, and the provider's redirect back
    path("accounts/oidc/start/", views.oidc_start, name="oidc_start"),
    path("accounts/oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("accounts/directory/failed/", views.directory_failed, name="directory_failed"),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
    path(
        "accounts/set-password/done/",
        views.SetPasswordDoneView.as_view(),
        name="set_password_done",
    ),
]
