"""Static files storage: whitenoise's compressed manifest storage, hashed names even with DEBUG.

Django's manifest storage hands out unhashed names while DEBUG is on; `make run` (DEBUG, and
CERTTRACK_COMPRESSED_STATIC=1) serves the collected files as production does, so its pages name
the hashed copies too, and whitenoise caches them for good (docs/deploy.md).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedHashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        return super().url(name, force=True)
