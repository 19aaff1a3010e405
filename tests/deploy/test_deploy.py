"""Production run: `check --deploy` is clean, /healthz answers, static files are hashed and cached."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]
# What a production server sets (docs/deploy.md); nothing from the test settings leaks in.
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "certtrack.settings",
    "SECRET_KEY": "x7-Qm2vLr9TgKp4Wz8NcYb3Hd6Js1Fa5Ue0Io_kVnRtSyXwPqGhBjEmCzDlAfOu",
    "ALLOWED_HOSTS": "certtrack.example.gov.cn",
    "CERTTRACK_SECURE": "1",
    "CERTTRACK_BEHIND_PROXY": "1",
}
DEV_VARS = (
    "CERTTRACK_DEV",
    "CERTTRACK_PLAIN_STATIC",
    "CERTTRACK_COMPRESSED_STATIC",
    "CERTTRACK_DEBUG",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' switch; never on a server
)


def prod_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DEV_VARS}
    return {**env, **PROD_ENV, **extra}


def run_python(code: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=prod_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_is_clean_under_production_env():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=prod_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    result = run_python("import django; django.setup()", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_static_files_are_hashed_compressed_and_cached_for_long(tmp_path):
    result = run_python(
        """
        import django
        django.setup()
        from django.core.management import call_command
        from django.templatetags.static import static
        from django.test import Client

        call_command("collectstatic", interactive=False, verbosity=0)
        url = static("css/certtrack.css")
        assert url != "/static/css/certtrack.css", url  # manifest: a hashed name
        r = Client().get(url, secure=True, HTTP_ACCEPT_ENCODING="gzip",
                         HTTP_HOST="certtrack.example.gov.cn")
        assert r.status_code == 200, r.status_code
        assert r["Content-Encoding"] == "gzip", r.headers
        assert "immutable" in r["Cache-Control"] and "max-age=315360000" in r["Cache-Control"]
        # The charts' plotly.js bundle: hashed, and sent gzipped (a third of its size).
        url = static("vendor/plotly/plotly-cartesian.min.js")
        assert url != "/static/vendor/plotly/plotly-cartesian.min.js", url
        r = Client().get(url, secure=True, HTTP_ACCEPT_ENCODING="gzip",
                         HTTP_HOST="certtrack.example.gov.cn")
        assert r.status_code == 200, r.status_code
        assert r["Content-Encoding"] == "gzip", r.headers
        assert int(r["Content-Length"]) < 600_000, r["Content-Length"]
        assert "immutable" in r["Cache-Control"]
        print("static ok")
        """,
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "static ok" in result.stdout


def test_healthz_answers_ok_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down(client, db):
    with mock.patch(
        "certtrack.views.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_healthz_is_exempt_from_the_https_redirect(client, db, settings):
    """Load balancers probe app servers over plain HTTP; pages still redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_the_wsgi_application_settles_its_startup_objects():
    """certtrack.wsgi imports every view and freezes what is loaded, so that full garbage
    collections during requests do not walk every module object (bench/NOTES.md)."""
    import gc
    import importlib

    gc.unfreeze()
    import certtrack.wsgi

    importlib.reload(certtrack.wsgi)
    try:
        assert gc.get_freeze_count() > 10_000
        assert "indicators.views" in __import__("sys").modules
    finally:
        gc.unfreeze()
