"""Project URLs: sign-in, language, admin, /healthz; the app's pages are in indicators/urls.py."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from certtrack import accounts
from certtrack.views import healthz
from work.views import SignInView

# The admin carries the product's name (templates/admin/base_site.html adds the language switch
# and the demo banner).
admin.site.site_header = _("CertTrack administration")
admin.site.site_title = _("CertTrack administration")
admin.site.index_title = _("Reference data, users and records")

urlpatterns = [
    # A signed-in user who opens the login page goes straight to the app (the to-do home).
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("healthz", healthz, name="healthz"),
    # Password reset: CertTrack's own views, offered only where mail can be sent (404 otherwise).
    path("accounts/", include(accounts.urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switch works before signing in too (the login page offers it).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("work.urls")),
    path("", include("notifications.urls")),
    path("", include("tasks.urls")),
    path("", include("register.urls")),
    path("", include("indicators.urls")),
]

handler400 = "certtrack.views.bad_request"
handler500 = "certtrack.views.server_error"
