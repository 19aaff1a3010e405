"""Settings for the test suite: the real settings with development defaults and plain static files.

Plain static storage because live_server serves files through the finders, where manifest names
would 404 (../shared/tools/README.md).
"""

import os

os.environ.setdefault("CERTTRACK_DEV", "1")
os.environ.setdefault("CERTTRACK_VALIDATE_FIGURES", "1")  # plotly checks every chart property
os.environ.setdefault("CERTTRACK_PLAIN_STATIC", "1")
os.environ.setdefault("CERTTRACK_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from certtrack.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test logins

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not the shared in-memory database: the live server's threads then open their own
    # connections instead of borrowing (and failing to close) the test thread's.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}  # noqa: F405
# The test client's login() authenticates without a request; see certtrack/testing.py.
AUTHENTICATION_BACKENDS = [
    "certtrack.testing.RequestOptionalAxesBackend",
    # the directory backends the environment switches on (tests/accounts/test_directory_*)
    *[b for b in AUTHENTICATION_BACKENDS if b.startswith("accounts.directory")],  # noqa: F405
    "accounts.backends.ModelBackend",
]

# Attachments of the tests (and of the demo data they seed) go to a folder of this run, never to
# the project's var/ folder.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

CERTTRACK_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="certtrack-test-media-"))  # noqa: F405
atexit.register(shutil.rmtree, CERTTRACK_MEDIA_ROOT, ignore_errors=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A test database need not survive a power cut: a commit that does not wait for its WAL to
    # reach the disk saves the live-server tests' flushes and commits most of their time.
    DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"  # noqa: F405
