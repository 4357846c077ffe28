"""The ASGI app that ``python -m riskmap.serve`` runs (any ASGI server can: ``riskmap.asgi:app``)."""

from riskmap.web import make_app

app = make_app()
