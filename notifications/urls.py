"""URLs of the notifications app: the list, opening one, marking all read, preferences."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:pk>/", views.notification_open, name="open"),
    path("notifications/read-all/", views.notifications_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
]
