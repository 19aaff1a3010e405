"""What base.html shows on every page (demo flag, the user's regions); no page data here."""

from django.conf import settings

from certtrack.accounts import password_reset_enabled
from indicators.models import QuarterlyCount
from indicators.pagecache import cached_value
from regions.selectors import access_for, root_regions_for


def certtrack(request):
    """Demo banner flag and the signed-in user's regions, for base.html.

    Computed once per request: every template rendered with the request (each django-tables2
    table is one) runs the context processors again, and the queries must not repeat.
    """
    cached = getattr(request, "_certtrack_context", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    access = access_for(user) if signed_in else None
    # Both change only with the data (and the user's memberships, in the key): cached under the
    # data version (indicators.pagecache), read once per request.
    demo = cached_value(
        "demo-data-present",
        [],
        lambda: QuarterlyCount.objects.filter(is_demo=True).exists(),
        request=request,
    )
    roots = (
        cached_value(
            "root-regions",
            [access.everything, sorted(access.view)],
            lambda: root_regions_for(user),
            request=request,
        )
        if signed_in
        else []
    )
    context = {
        "demo_data_present": demo,
        "user_root_regions": roots,
        "user_access": access,
        "demo_password_hint": settings.DEBUG,
        "password_reset_enabled": password_reset_enabled(),
        # Set by certtrack.routers when the page is read from a lagging replica.
        "data_as_of": getattr(request, "certtrack_data_as_of", None),
        "oidc_enabled": settings.OIDC_ENABLED,
    }
    request._certtrack_context = context
    return context
