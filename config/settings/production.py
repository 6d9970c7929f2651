"""Settings for a real deployment: PostgreSQL, HTTPS, secrets from the environment."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Required: the rate limits and API throttling are counted here, so every web process must
# share it (Redis, e.g. redis://HOST:6379/0, or memcached; not the local-memory cache).
CACHES = {"default": env.cache("CACHE_URL")}
# Administrators and finance officers must use two-factor sign-in.
CARESIGHT_REQUIRE_2FA_ROLES = env.list("CARESIGHT_REQUIRE_2FA_ROLES", default=["admin", "finance"])
