"""The Jupyter server side of the labextension: one read-only endpoint.

``GET {base_url}/mlssl/expiries`` returns ``{"expiries": [...], "fleet": {...} | null}``:
the certificates this machine put on targets (``history.expiries()``) merged with the last
fleet inventory's cache (``fleet.cache``), soonest expiry first; ``fleet`` says when that
inventory was made (its age shows in the status bar's tooltip). The
status bar item polls it. It never returns key material (the history holds none) and
changes nothing, so GET is all it needs.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web


class ExpiriesHandler(APIHandler):
    """Soonest-first certificate expiries among the targets this machine changed."""

    @web.authenticated
    def get(self) -> None:
        # Imported per request, not at server start: the history module (and SQLite file)
        # must not slow down or break JupyterLab's start-up.
        from jupyter_mlssl.fleet.cache import merged_expiries
        from jupyter_mlssl.store.history import expiries

        merged, fleet = merged_expiries(expiries())
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"expiries": merged, "fleet": fleet}, default=str))


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Called by jupyter_server (see ``_jupyter_server_extension_points``)."""
    web_app = server_app.web_app
    route = url_path_join(web_app.settings["base_url"], "mlssl", "expiries")
    web_app.add_handlers(".*$", [(route, ExpiriesHandler)])
    server_app.log.info("jupyter_mlssl: serving certificate expiries at %s", route)
