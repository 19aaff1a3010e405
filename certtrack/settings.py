"""CertTrack settings, driven by the environment.

Defaults are for a developer's machine: SQLite in the project folder, DEBUG on only when
CERTTRACK_DEBUG=1 (or DEBUG=1). Production sets SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; see
docs/deploy.md. Without DEBUG, a missing SECRET_KEY is an error, never a silent default.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", env_bool("CERTTRACK_DEBUG", False))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("CERTTRACK_DEV", False):
        # Development only: a fixed, obviously insecure key so sessions survive restarts.
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (see docs/deploy.md), "
            "or DEBUG=1 / CERTTRACK_DEV=1 on a developer's machine."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "certtrack.axes_config.AxesConfig",  # django-axes, named for the admin
    "regions",
    "accounts",
    "indicators",
    "tasks",
    "work",
    "notifications",
    "register",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything else, so that static files and early refusals (413) carry it too.
    "certtrack.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Bad bytes in a cookie or another header are a 400, before anything reads one.
    "certtrack.security.RejectBadHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "certtrack.security.RequestSizeLimitMiddleware",
    # A NUL in any parameter is a 400 (PostgreSQL refuses it in every string: a 500 otherwise).
    "certtrack.security.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
    # After every other process_view: serves the read-only pages from the read replica, when
    # there is one, and remembers where a user's writes are (certtrack/routers.py).
    "certtrack.routers.ReplicaMiddleware",
]

ROOT_URLCONF = "certtrack.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "certtrack.context_processors.certtrack",
                "work.context_processors.work",
            ],
        },
    },
]

WSGI_APPLICATION = "certtrack.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast (and answer 503) when the database host does not answer, instead of hanging a
    # worker for the kernel's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    # PostgreSQL's JIT compiles any query the planner thinks costly: the recursive completeness
    # query (children_report_statuses) ran in 30 ms and then spent 480 ms compiling. Web
    # requests are short queries; JIT only pays on long analytical ones.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as it is meant for a small server with a few dozen people saving at once: readers
    # never wait for a writer (WAL journal), a writer waits its turn for up to
    # CERTTRACK_SQLITE_BUSY_TIMEOUT seconds instead of failing with "database is locked", and
    # every transaction that may write takes the write lock when it begins (IMMEDIATE): a
    # deferred transaction that reads, then writes, cannot wait (SQLite would deadlock) and fails
    # at once. synchronous=NORMAL is durable in WAL mode except against a power cut.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": float(os.environ.get("CERTTRACK_SQLITE_BUSY_TIMEOUT", "20")),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if os.environ.get("DATABASE_REPLICA_URL"):
    # A streaming-replication standby of the primary; only views marked
    # @reads_from_replica read from it (certtrack/routers.py, docs/deploy.md).
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"],
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["certtrack.routers.ReplicaRouter"]
# A page read from a replica that lags by more than this many seconds says when its data is from.
CERTTRACK_REPLICA_LAG_NOTICE = float(os.environ.get("CERTTRACK_REPLICA_LAG_NOTICE", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# dumpdata/loaddata format of SQLite backups: JSON with times to the microsecond (make backup).
SERIALIZATION_MODULES = {"backup": "certtrack.serializers"}

AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its username and address are locked out.
    "axes.backends.AxesStandaloneBackend",
    # Django's password backend, loading the profile with the user (the header's name).
    "accounts.backends.ModelBackend",
]

# Sign-in through the bureau's directory (docs/deploy.md, "Directory sign-in"), both off unless
# their variables are set. LDAP (django-auth-ldap) checks the password typed on the sign-in page
# before the local one; OpenID Connect (mozilla-django-oidc) adds a button to the sign-in page.
# Either way the person's roles come from their groups (accounts.directory).
LDAP_ENABLED = bool(os.environ.get("LDAP_SERVER_URI"))
if LDAP_ENABLED:
    import ldap
    from django_auth_ldap.config import (
        ActiveDirectoryGroupType,
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        NestedActiveDirectoryGroupType,
        PosixGroupType,
    )

    AUTHENTICATION_BACKENDS.insert(1, "accounts.directory_ldap.LDAPBackend")
    AUTH_LDAP_SERVER_URI = os.environ["LDAP_SERVER_URI"]
    AUTH_LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
    AUTH_LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        os.environ.get("LDAP_USER_SEARCH_BASE", ""),
        ldap.SCOPE_SUBTREE,
        os.environ.get("LDAP_USER_FILTER", "(uid=%(user)s)"),
    )
    _group_types = {
        "groupOfNames": GroupOfNamesType,
        "groupOfUniqueNames": GroupOfUniqueNamesType,
        "posixGroup": PosixGroupType,
        "activeDirectory": ActiveDirectoryGroupType,
        "nestedActiveDirectory": NestedActiveDirectoryGroupType,
    }
    _group_type = os.environ.get("LDAP_GROUP_TYPE", "groupOfNames")
    if _group_type not in _group_types:
        raise ImproperlyConfigured(
            f"LDAP_GROUP_TYPE={_group_type!r}: one of {sorted(_group_types)}"
        )
    AUTH_LDAP_GROUP_TYPE = _group_types[_group_type]()
    AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        os.environ.get("LDAP_GROUP_SEARCH_BASE", ""),
        ldap.SCOPE_SUBTREE,
        os.environ.get("LDAP_GROUP_FILTER", "(objectClass=*)"),
    )
    AUTH_LDAP_USER_ATTR_MAP = {}  # name and mail: accounts.directory_ldap
    AUTH_LDAP_ALWAYS_UPDATE_USER = False
    AUTH_LDAP_CONNECTION_OPTIONS = {
        ldap.OPT_NETWORK_TIMEOUT: int(os.environ.get("LDAP_TIMEOUT", "10")),
        ldap.OPT_REFERRALS: 0,  # Active Directory
    }
    AUTH_LDAP_CACHE_TIMEOUT = 0  # groups are read afresh at every sign-in

OIDC_ENABLED = bool(os.environ.get("OIDC_RP_CLIENT_ID"))
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
for _name in (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_OP_ISSUER",
):
    globals()[_name] = os.environ.get(_name, "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_CREATE_USER = False  # accounts.directory_oidc makes the account itself (never by mail)
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
if OIDC_ENABLED:
    if not (OIDC_OP_DISCOVERY_URL or OIDC_OP_AUTHORIZATION_ENDPOINT):  # noqa: F821
        raise ImproperlyConfigured(
            "OIDC_RP_CLIENT_ID is set: set OIDC_OP_DISCOVERY_URL, or the OIDC_OP_* endpoints"
        )
    AUTHENTICATION_BACKENDS.insert(1, "accounts.directory_oidc.OIDCBackend")

# Failed-login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out for the cool-off time. By the pair, not the
# address alone: a whole bureau often shares one NAT address. Attempts are stored in the database,
# so every app server sees them.
AXES_FAILURE_LIMIT = int(os.environ.get("CERTTRACK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(os.environ.get("CERTTRACK_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "certtrack.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "certtrack.security.client_ip"


def _networks(name: str) -> list:
    """``10.0.0.5,10.1.0.0/16`` -> networks; a wrong entry stops the start with its name."""
    import ipaddress

    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


# The reverse proxies whose X-Real-IP / X-Forwarded-For name the client (certtrack.security.
# client_ip): addresses or networks. By default none: the socket's address counts, so a spoofed
# header changes nothing. bin/serve names the loopback proxy when gunicorn listens on loopback.
CERTTRACK_TRUSTED_PROXIES = _networks("CERTTRACK_TRUSTED_PROXIES")
# Attempts and lock-outs are in the database (admin: Axes); no log line per sign-in.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "work:home"  # the to-do home; the overview is one click away
LOGOUT_REDIRECT_URL = "login"

# Simplified Chinese first, English one click away.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Ours first; then Django's own strings that its zh_Hans catalogues lack (Django 5.2's admin).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "certtrack" / "locale_django"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
# Hashed names (app.3f2a1c.css) are cached for ten years as immutable by whitenoise; other files
# (favicon, unhashed names) for an hour. Production (and `make run`, which sets
# CERTTRACK_COMPRESSED_STATIC=1 after collectstatic) serves the collected files with their
# gzip copies; plain storage (tests, a bare `runserver` with DEBUG) serves the source folders.
WHITENOISE_MAX_AGE = 3600
COMPRESSED_STATIC = env_bool(
    "CERTTRACK_COMPRESSED_STATIC", not (DEBUG or env_bool("CERTTRACK_PLAIN_STATIC", False))
)
if COMPRESSED_STATIC:
    # Only what collectstatic wrote (hashed names, .gz beside each), even with DEBUG on.
    WHITENOISE_USE_FINDERS = False
    WHITENOISE_AUTOREFRESH = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "certtrack.storage.CompressedHashedStaticFilesStorage"
            if COMPRESSED_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Cache and sessions: nothing on an app server's disk, so any number of app servers can stand
# behind a load balancer. Sessions always live in the database (one indexed read per request):
# a Redis outage or restart never signs anybody out, and a sign-out is never undone by a stale
# copy that Redis kept. Without REDIS_URL: a per-process memory cache (one machine). With
# REDIS_URL (redis://host:6379/0): a Redis cache shared by every app server, which holds only
# what can be computed again from the database (dashboard parts under the data version) and
# degrades to a miss when Redis does not answer (certtrack/cache.py), so a stopped Redis makes
# pages slower, never a 500.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "certtrack.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "certtrack",
            "TIMEOUT": 300,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_ENGINE = os.environ.get("SESSION_ENGINE", SESSION_ENGINE)

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (certtrack.security.ContentSecurityPolicyMiddleware; the shape of
# Django 6's SECURE_CSP). Scripts only from this site: no inline script, no eval, so page code
# lives in static/js and chart data in json_script blocks. plotly.js sets inline styles, and
# draws its mode bar icons and image exports from data: URLs.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Production transport security: on unless DEBUG, and switchable off only explicitly (e.g. a
# plain-HTTP intranet test install). See docs/deploy.md.
_secure = env_bool("CERTTRACK_SECURE", not DEBUG)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure and env_bool("CERTTRACK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if _secure else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
# Load balancers probe /healthz over plain HTTP on the app servers' own address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("CERTTRACK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Mail, for the password reset only (certtrack/accounts.py). Without EMAIL_HOST the reset is not
# offered: no link on the login page, its URLs answer 404, an administrator sets passwords.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "certtrack@localhost")
CERTTRACK_PASSWORD_RESET = env_bool("CERTTRACK_PASSWORD_RESET", True)
CERTTRACK_PASSWORD_RESET_PER_HOUR = int(os.environ.get("CERTTRACK_PASSWORD_RESET_PER_HOUR", "5"))

# Upload limits. CERTTRACK_MAX_REQUEST_SIZE bounds a whole request body, files included (413
# page); uploads up to it stay in memory, so no app server writes them to its disk.
CERTTRACK_MAX_REQUEST_SIZE = int(os.environ.get("CERTTRACK_MAX_UPLOAD_MB", "10")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = CERTTRACK_MAX_REQUEST_SIZE

# Task report attachments: stored here, outside the web root (never under STATIC_ROOT; a system
# check refuses that), and served only through a view that checks permission.
CERTTRACK_MEDIA_ROOT = Path(
    os.environ.get("CERTTRACK_MEDIA_ROOT", BASE_DIR / "var" / "attachments")
)
CERTTRACK_TASK_ATTACHMENT_MAX_MB = float(os.environ.get("CERTTRACK_TASK_ATTACHMENT_MAX_MB", "5"))


def _first_quarter(name: str, default: str) -> str:
    """``2015Q1`` -> ``"2015Q1"`` (normalised); a value that is not a quarter stops the start with
    the variable's name, never a 500 at the first request that needs it."""
    from indicators.periods import Quarter

    raw = os.environ.get(name, default)
    try:
        return str(Quarter.parse(raw))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r}: {exc}") from exc


# Domain settings (see docs/progress.md and the entry workflow).
CERTTRACK = {
    # Demo users' password; the README documents the default.
    "DEMO_PASSWORD": os.environ.get("CERTTRACK_DEMO_PASSWORD", "certtrack-demo"),
    # A change beyond this share against the previous quarter needs a written explanation.
    "CHANGE_WARNING_SHARE": float(os.environ.get("CERTTRACK_CHANGE_WARNING_SHARE", "0.30")),
    # A submitted count further than this share from the certificate register's count needs an
    # explanation (docs/register.md); regions the register holds nothing for are never held to it.
    "REGISTER_DIFFERENCE_SHARE": float(
        os.environ.get("CERTTRACK_REGISTER_DIFFERENCE_SHARE", "0.05")
    ),
    # Submissions are on time up to this many days after quarter end.
    "DEADLINE_DAYS": int(os.environ.get("CERTTRACK_DEADLINE_DAYS", "20")),
    # "At risk" margin: share of the distance from baseline to target.
    "AT_RISK_MARGIN": float(os.environ.get("CERTTRACK_AT_RISK_MARGIN", "0.05")),
    # Quarters used by the least-squares forecast.
    "FORECAST_QUARTERS": int(os.environ.get("CERTTRACK_FORECAST_QUARTERS", "8")),
    # Separation of duties: nobody approves or returns counts they entered or submitted.
    "SEPARATION_OF_DUTIES": env_bool("CERTTRACK_SEPARATION_OF_DUTIES", True),
    # The first quarter counts may be entered for (and any quarter parameter may name).
    "FIRST_QUARTER": _first_quarter("CERTTRACK_FIRST_QUARTER", "2015Q1"),
    # Task progress reports are on time up to this many days after their period ends (the
    # default of a plan without a reporting schedule of its own).
    "TASK_DEADLINE_DAYS": int(os.environ.get("CERTTRACK_TASK_DEADLINE_DAYS", "15")),
    # The to-do home asks an official for missing submissions of this many ended quarters.
    "TODO_QUARTERS": int(os.environ.get("CERTTRACK_TODO_QUARTERS", "4")),
    # Reminder digests (manage.py send_reminders, docs/deploy.md): officials from this many
    # days before the last on-time day; reviewers for submissions waiting longer than this;
    # leaders' weekly summary on this weekday (0 = Monday).
    "REMIND_DAYS_BEFORE": int(os.environ.get("CERTTRACK_REMIND_DAYS_BEFORE", "5")),
    "REVIEW_WAIT_DAYS": int(os.environ.get("CERTTRACK_REVIEW_WAIT_DAYS", "3")),
    "LEADER_SUMMARY_WEEKDAY": int(os.environ.get("CERTTRACK_LEADER_SUMMARY_WEEKDAY", "0")),
    # A new mail address is proven by a signed link mailed to it, valid this many days.
    "EMAIL_CONFIRM_DAYS": int(os.environ.get("CERTTRACK_EMAIL_CONFIRM_DAYS", "3")),
}

# Mail (reminder digests). Django's standard settings from the environment; without EMAIL_HOST
# mail is printed to the console (what `make run` does), unless EMAIL_BACKEND says otherwise.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "certtrack@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)


def _base_url() -> str:
    """The address users open CertTrack at: links in mails start with it. A developer's
    machine defaults to ``http://127.0.0.1:8000`` (``make run`` sets the address it serves).
    Production takes ``CERTTRACK_BASE_URL``, or derives it from the one host name in
    ``ALLOWED_HOSTS`` (https behind TLS); with several hosts and no address it refuses to
    start, as a mail linking to 127.0.0.1 reaches nobody."""
    raw = os.environ.get("CERTTRACK_BASE_URL", "").strip()
    if raw:
        if not raw.startswith(("http://", "https://")) or len(raw.split("://", 1)[1]) < 1:
            raise ImproperlyConfigured(
                f"CERTTRACK_BASE_URL={raw!r}: write the address users open, "
                "e.g. https://certtrack.scjg.gansu.gov.cn"
            )
        return raw.rstrip("/")
    if DEBUG or env_bool("CERTTRACK_DEV", False):
        return "http://127.0.0.1:8000"
    hosts = [h for h in ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    if len(hosts) == 1 and len(ALLOWED_HOSTS) == 1:
        return f"{'https' if _secure else 'http'}://{hosts[0]}"
    raise ImproperlyConfigured(
        "CERTTRACK_BASE_URL is not set, and ALLOWED_HOSTS does not name one host to derive it "
        f"from ({','.join(ALLOWED_HOSTS) or 'empty'}). Set CERTTRACK_BASE_URL to the address "
        "users open CertTrack at (links in mails start with it), see docs/deploy.md."
    )


CERTTRACK_BASE_URL = _base_url()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"database_unavailable": {"()": "certtrack.logs.DatabaseUnavailableFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["database_unavailable"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; the attempts are in the database (admin: Axes).
    "loggers": {"axes": {"level": "WARNING"}},
}
