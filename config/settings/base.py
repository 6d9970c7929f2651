"""Settings shared by every environment. Values that differ come from environment variables."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file in the working directory (or the one CARESIGHT_ENV_FILE names) may set any of these.
environ.Env.read_env(env.str("CARESIGHT_ENV_FILE", default=".env"), overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The council whose name heads every page; one install may serve several councils.
CARESIGHT_SERVICE_NAME = env("CARESIGHT_SERVICE_NAME", default="Caresight")
CARESIGHT_ORGANISATION_NAME = env("CARESIGHT_ORGANISATION_NAME", default="Care market oversight")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_ratelimit",
    "django_tasks",
    "django_tasks_db",
    "caresight.core",
    "caresight.accounts",
    "caresight.registry",
    "caresight.returns",
    "caresight.outbreaks",
    "caresight.risk",
    "caresight.grants",
    "caresight.plans",
    "caresight.governance",
    "caresight.workforce",
    "caresight.beds",
    "caresight.reports",
    "caresight.notifications",
    "caresight.dashboards",
    "caresight.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "caresight.core.security.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "caresight.core.query.QueryErrorMiddleware",
    "caresight.core.security.SessionTimeoutMiddleware",
    "caresight.core.security.RateLimitMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "caresight.accounts.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "caresight" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caresight.core.context_processors.service",
            ],
        },
    },
]

# Form templates come from the project's template folders (GOV.UK markup, includes/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'caresight.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the background worker writes; IMMEDIATE
    # transactions take the write lock up front instead of failing half way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read-only copy of DATABASE_URL (a PostgreSQL standby): when set, the dashboards' and
# reports' read-only pages read from it (caresight.core.db.ReplicaRouter, docs/deployment.md).
# Its sessions are read-only too, so nothing can be written through it even if it is pointed
# at the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {})["options"] = (
        "-c default_transaction_read_only=on")
DATABASE_ROUTERS = ["caresight.core.db.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The client's address behind a proxy (caresight.core.security.client_ip): how many proxies in
# front of the web processes append to the forwarded-for header. 0 (the default) ignores the
# header, as it is then written by the client.
CARESIGHT_TRUSTED_PROXIES = env.int("CARESIGHT_TRUSTED_PROXIES", default=0)
CARESIGHT_CLIENT_IP_HEADER = env("CARESIGHT_CLIENT_IP_HEADER", default="X-Forwarded-For")

# Lock an email address out (from one client address) after repeated failed sign-ins, and a
# client address after more failures across email addresses (caresight.accounts.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
CARESIGHT_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# The handler reads these two sets in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_HANDLER = "caresight.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "caresight.core.security.client_ip"
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = CARESIGHT_SERVICE_NAME
# Roles (accounts.Role values) that must use two-factor sign-in; on in production.
CARESIGHT_REQUIRE_2FA_ROLES = env.list("CARESIGHT_REQUIRE_2FA_ROLES", default=[])

# Sessions end after this long unused, and this long after signing in, whatever happens.
CARESIGHT_SESSION_IDLE_MINUTES = env.int("CARESIGHT_SESSION_IDLE_MINUTES", default=30)
CARESIGHT_SESSION_MAX_HOURS = env.int("CARESIGHT_SESSION_MAX_HOURS", default=10)
SESSION_COOKIE_AGE = CARESIGHT_SESSION_MAX_HOURS * 60 * 60

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "caresight" / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploaded import files are held in the database (so any worker can read them), so cap them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
CARESIGHT_MAX_IMPORT_BYTES = env.int("CARESIGHT_MAX_IMPORT_BYTES", default=50 * 1024 * 1024)
# Limits every import enforces while it reads a file (core.files): what a spreadsheet may expand
# to when unzipped, and how many rows and columns a file may have. Past any, it is refused.
CARESIGHT_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("CARESIGHT_IMPORT_MAX_UNCOMPRESSED_BYTES",
                                                  default=100 * 1000 * 1000)
CARESIGHT_IMPORT_MAX_ROWS = env.int("CARESIGHT_IMPORT_MAX_ROWS", default=200_000)
CARESIGHT_IMPORT_MAX_COLUMNS = env.int("CARESIGHT_IMPORT_MAX_COLUMNS", default=1_000)

# On PostgreSQL, returns and their history are kept this many whole months before the current
# one; older months are dropped by `caresight returns_partitions` (daily). 0 keeps everything.
# See docs/partitions.md.
CARESIGHT_RETURNS_RETENTION_MONTHS = env.int("CARESIGHT_RETURNS_RETENTION_MONTHS", default=0)

# The risk register's score bands (likelihood × impact): the highest score of each band, in
# order — 1–6 low, 8–12 medium, 15–25 high.
CARESIGHT_RISK_BANDS = ((6, "Low"), (12, "Medium"), (25, "High"))

# Small-number suppression in aggregates (dashboards for regional and national viewers, and
# their downloads): counts from 1 to this less one are shown as "fewer than 5", so that no
# figure points at one home. 0 is shown as 0.
CARESIGHT_SUPPRESS_BELOW = env.int("CARESIGHT_SUPPRESS_BELOW", default=5)

# The key of the hash kept in place of an NHS number (beds); by default derived from SECRET_KEY.
# Changing it unlinks the placements already recorded from those recorded after.
CARESIGHT_PSEUDONYM_KEY = env("CARESIGHT_PSEUDONYM_KEY", default="")

# The service's own address, for the links in emails sent by the worker (notifications,
# scheduled reports), which has no request to take it from.
CARESIGHT_SITE_URL = env("CARESIGHT_SITE_URL", default="http://127.0.0.1:8000")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# No inline script or style without the page's nonce; nothing from other sites; never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page uses (caresight.core.security.SecurityHeadersMiddleware).
CARESIGHT_PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: [] for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "serial", "usb", "xr-spatial-tracking",
    )
}

# Counted in the default cache, which must be shared by every web process in production.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Rate limits (caresight.core.security.RateLimitMiddleware), per client address (sign-in, open
# data) or per user (uploads); "N/s", "N/m", "N/h" or "N/d".
CARESIGHT_RATE_LIMITS = {
    "sign_in": env("RATE_LIMIT_SIGN_IN", default="20/m"),
    "upload": env("RATE_LIMIT_UPLOAD", default="30/h"),
    "open_data": env("RATE_LIMIT_OPEN_DATA", default="120/m"),
    # Forgotten-password and invitation emails: per client, and per address they are sent to.
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="10/h"),
    "password_reset_address": env("RATE_LIMIT_PASSWORD_RESET_ADDRESS", default="3/h"),
    "invite": env("RATE_LIMIT_INVITE", default="60/h"),
    "invite_address": env("RATE_LIMIT_INVITE_ADDRESS", default="3/h"),
}
RATELIMIT_IP_META_KEY = "caresight.core.security.client_ip"

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Email (caresight.core.email): every message is kept as a delivery record per recipient and
# sent by the background worker through this backend. EMAIL_URL sets it in one go
# (smtp+tls://USER:PASSWORD@smtp.example.org:587, smtp+ssl://…:465, consolemail://); or set
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS one by one.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
if env("EMAIL_URL", default=""):
    vars().update({key: value for key, value in env.email_url("EMAIL_URL").items()
                   if value not in (None, "")})
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds; a silent server is tried later
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Caresight <caresight@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# A delivery the server cannot take now is tried again after 1, 2, 4, 8… times this wait, up
# to this many attempts in all; a recipient refused for good (5xx) fails at once.
CARESIGHT_EMAIL_MAX_ATTEMPTS = env.int("CARESIGHT_EMAIL_MAX_ATTEMPTS", default=6)
CARESIGHT_EMAIL_RETRY_SECONDS = env.int("CARESIGHT_EMAIL_RETRY_SECONDS", default=60)
# How long an invitation link to set up an account works.
CARESIGHT_INVITATION_DAYS = env.int("CARESIGHT_INVITATION_DAYS", default=7)
# How long a forgotten-password link works (Django's PASSWORD_RESET_TIMEOUT, in seconds).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "caresight.core.parsers.JSONParser",
        "caresight.core.parsers.FormParser",
        "caresight.core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "caresight.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "caresight.core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "caresight.core.security.AnonRateThrottle",
        "caresight.core.security.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="2000/minute"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Caresight API",
    "DESCRIPTION": "The care provider register and everything built on it. "
    "Authenticate with `Authorization: Token <key>` (see `caresight token create`).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names collide with another app's ("kind", "source").
    "ENUM_NAME_OVERRIDES": {
        "SchemeKindEnum": "caresight.beds.models.SchemeKind",
        "PlacementSourceEnum": "caresight.beds.models.Source",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "caresight.core.api.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
