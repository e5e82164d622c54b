"""Web layer: assembles feature routers into the FastAPI application."""
