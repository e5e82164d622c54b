"""ASGI entry point: `uvicorn silian.web.main:app`."""

import os

from silian.web.app import create_app

app = create_app()

if os.environ.get("SILIAN_WARM_MATCHING") == "1":
    # Set by `silian serve --workers N`: each worker maps the shared index at start.
    from silian.matching.service import warm_in_background

    warm_in_background(app.state.settings)
