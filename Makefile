# CertTrack: `make run` (fresh clone -> serving on http://127.0.0.1:8000) and `make test`.
# Production: `make serve` (gunicorn + PostgreSQL, docs/deploy.md), `make backup`, `make restore`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := CERTTRACK_DEV=1 DEBUG=1

.PHONY: cluster plotly run serve backup restore test install setup demo messages lint format check browser-deps ldap-deps directory-deps clean bench bench-data bench-deps bench-smoke bench-register

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(MAKE) --no-print-directory ldap-deps
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

setup: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_reference

demo: setup
	$(DEV_ENV) $(PY) manage.py seed_demo --if-empty

# Static files as production serves them: collected with hashed names and gzip copies, served by
# whitenoise (cached for good under their content hash). A bare `manage.py runserver` with DEBUG
# serves the source folders instead, for editing CSS and JS without collecting.
run: demo
	$(DEV_ENV) CERTTRACK_COMPRESSED_STATIC=1 $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "CertTrack on http://$(HOST):$(PORT)/  (demo logins above; stop with Ctrl-C)"
	$(DEV_ENV) CERTTRACK_COMPRESSED_STATIC=1 CERTTRACK_BASE_URL=http://$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

# Refresh the vendored plotly.js partial bundle (static/vendor/plotly/) from the npm registry, at
# the plotly.js version of the installed plotly package (or VERSION=x.y.z). Needs npm; the app
# never fetches anything at run time.
plotly: install
	$(PY) bin/vendor_plotly $(VERSION)

# Production settings: gunicorn on PostgreSQL (DATABASE_URL, default the local server's
# database "certtrack"), DEBUG off, hashed compressed static files, migrate, reference data,
# check --deploy. Expects a TLS reverse proxy in front (docs/deploy.md).
serve: install
	HOST=$(HOST) PORT=$(PORT) bin/serve

# Database named by DATABASE_URL (default: the SQLite file of `make run`) -> backups/, and back.
backup: install
	bin/backup

restore: install
	bin/restore "$(FILE)"

# python-ldap (LDAP sign-in, requirements.txt) has no wheel: it builds against OpenLDAP's and
# Cyrus SASL's headers. Installed here when we may.
ldap-deps:
	@if [ ! -f /usr/include/ldap.h ] || [ ! -f /usr/include/sasl/sasl.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing libldap2-dev and libsasl2-dev (python-ldap builds against them)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libldap2-dev libsasl2-dev >/dev/null; \
	  else echo "note: install gcc libldap2-dev libsasl2-dev first (python-ldap builds against them)"; fi; \
	fi

# The directory sign-in tests start Debian's OpenLDAP server; installed here when we may.
directory-deps:
	@if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing slapd and ldap-utils for the directory sign-in tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null) \
	      || echo "warning: could not install slapd; the LDAP tests will be skipped"; \
	  else echo "note: slapd missing; the LDAP tests will be skipped"; fi; \
	fi

# Browser tests need Debian's Chromium, a Chinese font and poppler's pdftotext (the print tests);
# installed here when we may.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium, fonts-wqy-microhei and poppler-utils for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: /usr/bin/chromium missing; browser tests will be skipped"; fi; \
	fi

test: install browser-deps directory-deps
	$(PY) -m pytest

messages: install
	cd $(CURDIR) && $(DEV_ENV) $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=staticfiles
	$(PY) -c "import polib, glob; [polib.pofile(p).save_as_mofile(p[:-3] + '.mo') for p in glob.glob('locale/*/LC_MESSAGES/*.po') + glob.glob('certtrack/locale_django/*/LC_MESSAGES/*.po')]"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(PY) manage.py check

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# Benchmarks at national scale (bench/RESULTS.md). BENCH_DB must hold bench/national_data.py's set.
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/certtrack_bench
bench-data: install
	DATABASE_URL=$(BENCH_DB) $(PY) bench/national_data.py

# The throughput benchmark drives gunicorn with wrk (Debian's package), installed here when we may.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	      || { echo "error: could not install wrk (bench/run.py throughput needs it)"; exit 1; }; \
	  else echo "error: wrk is missing: install Debian's package wrk"; exit 1; fi; \
	fi

# From a fresh clone: run.py creates BENCH_DB and builds the national set when they are missing.
bench: install bench-deps
	DATABASE_URL=$(BENCH_DB) $(PY) bench/run.py all
	$(PY) bench/import_bomb.py

# The short national-scale smoke run .ci/run calls (a database of its own, ≈ 3 min).
bench-smoke: install
	$(PY) bench/smoke.py

# The reference multi-server deployment on this machine (docs/deploy.md, section 9): HAProxy, two
# gunicorn app servers, PostgreSQL primary + streaming replica, Redis. Ctrl-C stops it all.
cluster: install
	$(PY) bench/cluster.py

# The certificate register at a fraction of national scale (bench/register_national.py,
# bench/NOTES.md "Certificate register"): its own database; --reset empties its register tables.
REGISTER_DB ?= postgres://postgres@127.0.0.1:5432/certtrack_register_bench
SCALE ?= 0.01
bench-register: install
	DATABASE_URL=$(REGISTER_DB) $(PY) bench/register_national.py --scale $(SCALE) --reset
