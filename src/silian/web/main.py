"""ASGI entry point: `uvicorn silian.web.main:app`."""

from silian.web.app import create_app

app = create_app()
