"""The WSGI application, and the work every process's first request would otherwise do.

Gunicorn (deploy/gunicorn.conf.py) imports this once, in its master (`preload_app`), and
forks every worker from it, a worker restarted after `max_requests` included: one that
imported Django itself spent about 1.5 s of CPU doing so while its partner took all the
traffic (under the API benchmark, a restart every ~15 s).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filot.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Import the URLconf and its views and compile the hot reads (no connection is
    opened: a database that is down at start-up fails requests, not the start)."""
    from django.db import connections
    from django.urls import get_resolver

    from kyc.selectors import CompiledRead

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018  (imports every view)
    resolver.reverse_dict  # noqa: B018  (the resolver's own first-use work)
    for read in CompiledRead.every():
        read.prepare()
    # Should anything above have connected, the forked workers must not share it.
    connections.close_all()


_warm()
