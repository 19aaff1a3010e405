from django.conf import settings

from indicators.models import QuarterlyCount
from regions.selectors import access_for, root_regions_for


def certtrack(request):
    """Demo banner flag and the signed-in user's regions, for base.html."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "demo_data_present": QuarterlyCount.objects.filter(is_demo=True).exists(),
        "user_root_regions": root_regions_for(user) if signed_in else [],
        "user_access": access_for(user) if signed_in else None,
        "demo_password_hint": settings.DEBUG,
    }
