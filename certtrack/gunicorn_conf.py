"""gunicorn settings for ``make serve`` (``gunicorn -c certtrack/gunicorn_conf.py``).

Every value can be overridden from the environment, so one file serves a laptop trial and a
server behind nginx. Workers are plain synchronous processes: the app is stateless (sessions,
cache and login throttling live in the database or Redis), so any number of them, on any number
of machines, can answer any request.
"""

import multiprocessing
import os

bind = os.environ.get(
    "GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# 2 x cores + 1 is gunicorn's rule of thumb; capped so that workers x CONN_MAX_AGE connections
# stay well below PostgreSQL's max_connections (100 by default) with several app servers.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak can never take a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Only the reverse proxy on this machine may tell us the original scheme and client address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "certtrack"
# gunicorn >= 25 opens a control socket in ~/.gunicorn by default; several instances on one
# machine (bench, fault test) would fight over it, and nothing here uses it.
control_socket_disable = True
