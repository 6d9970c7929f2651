"""Settings for a developer's or a newcomer's machine: SQLite unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# One process (runserver) counts rate limits in its own memory, which is right for one machine.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# With no mail server on a newcomer's machine, emails (invitations, forgotten passwords) are
# written as files in sent-email/ unless EMAIL_URL (or EMAIL_BACKEND) says otherwise; their
# delivery records are listed at /emails/ all the same.
if not env("EMAIL_URL", default="") and not env("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "sent-email")  # noqa: F405
