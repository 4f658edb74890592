import os

# Servers import this package first (gunicorn's config.wsgi, Celery's ``-A config``): they run
# production unless told otherwise, so a unit that forgot DJANGO_SETTINGS_MODULE refuses to
# start (no SECRET_KEY) instead of serving with DEBUG on. manage.py and ``make run`` choose the
# local settings themselves.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from config.celery import app as celery_app

__all__ = ("celery_app",)
