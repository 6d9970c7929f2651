"""Settings for the test suite: the database comes from DATABASE_URL (SQLite by default)."""

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
SECRET_KEY = "test-only-secret-key"
# A fast hasher keeps the suite quick; production uses Django's default (PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": None}  # in memory
if "replica" in DATABASES:
    # The replica reads the test database the primary holds; nothing is created or flushed on it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Throttling and rate limits are tested on their own (core/tests/test_security.py, with low
# limits); elsewhere, and in the browser tests that sign in many times, they would only make
# tests flaky.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
CARESIGHT_RATE_LIMITS = {"sign_in": "", "upload": "", "open_data": "", "password_reset": "",
                         "password_reset_address": "", "invite": "", "invite_address": ""}
AXES_ENABLED = True
# Each test process counts in its own memory (see local.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
