"""System check: attachments must be stored outside every folder the web server serves."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def _within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


@register()
def media_root_outside_web_root(app_configs=None, **kwargs):
    """CERTTRACK_MEDIA_ROOT may not lie in (or contain) STATIC_ROOT or a STATICFILES_DIRS
    folder: whitenoise would serve the attachments to anyone who guessed a name."""
    media = Path(settings.CERTTRACK_MEDIA_ROOT).resolve()
    served = [Path(settings.STATIC_ROOT)] + [
        Path(d[1] if isinstance(d, (tuple, list)) else d) for d in settings.STATICFILES_DIRS
    ]
    errors = []
    for folder in served:
        folder = folder.resolve()
        if _within(media, folder) or _within(folder, media):
            errors.append(
                Error(
                    f"CERTTRACK_MEDIA_ROOT ({media}) overlaps the static folder {folder}, "
                    "which is served to anyone.",
                    hint="Store attachments in a folder of their own outside the web root "
                    "(docs/deploy.md).",
                    id="tasks.E001",
                )
            )
    return errors
