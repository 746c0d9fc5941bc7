"""biomap's HTTP API: a thin FastAPI layer over :mod:`geo`.

Nothing is built at import time. Run it with ``biomap serve`` or
``uvicorn api.app:create_app --factory``; configure it with ``BIOMAP_*`` environment variables
(:class:`api.settings.Settings`).
"""
