"""Entry point: `flask --app app …` finds create_app; production runs `gunicorn 'app:create_app()'`."""

from webapp import create_app

__all__ = ["create_app"]
