from django.conf import settings

from indicators.models import QuarterlyCount
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
    context = {
        "demo_data_present": QuarterlyCount.objects.filter(is_demo=True).exists(),
        "user_root_regions": root_regions_for(user) if signed_in else [],
        "user_access": access_for(user) if signed_in else None,
        "demo_password_hint": settings.DEBUG,
    }
    request._certtrack_context = context
    return context
