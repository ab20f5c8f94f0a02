"""Settings shared by every environment; everything deployment-specific comes from the env."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Tests only: local settings generate a key per checkout, production refuses to start without
# one of its own.
INSECURE_DEV_SECRET = "insecure-local-only-change-me"  # noqa: S105  (refused in production)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_DEV_SECRET)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "leaflet",
    "axes",
    "core",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "hotspots",
    "tasking",
    "patrols",
    "evaluation",
    "reports",
    "audit",
    "streets",
    "training",
    "notices",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after security headers: an oversized body is refused before anything reads it.
    "config.middleware.RequestSizeMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Below whitenoise and authentication: static files keep their caching; answers to
    # anyone signed in, and the whole API, are never stored.
    "config.middleware.NoStoreMiddleware",
    "config.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware: it needs request.user.is_verified().
    "config.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

# --- Sign-in hardening (docs/adr/0009) ----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username from this address
    "django.contrib.auth.backends.ModelBackend",
]
# Supervisors, analysts, admins and auditors confirm a TOTP code after their password; the
# issuer is the name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Hot spots policing")
# A wrong code doubles the wait before the next try (1, 2, 4 ... seconds).
OTP_TOTP_THROTTLE_FACTOR = 1
# An admin sees no one's TOTP key or QR code once the device exists: whoever holds the key
# holds that person's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A staff account without an authenticator enrols only with a one-time code from an admin,
# valid this many hours.
SECOND_FACTOR_ENROLMENT_HOURS = env.int("SECOND_FACTOR_ENROLMENT_HOURS", default=72)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=10)
# Per username and address: a guesser is stopped without letting anyone lock an officer
# out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A page for the site, JSON for the API.
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
# The proxy in front, whose X-Forwarded-For names the client (accounts.signin.client_ip);
# empty where clients connect directly (make demo). The same addresses as gunicorn's
# FORWARDED_ALLOW_IPS in a deployment behind a proxy.
TRUSTED_PROXY_IPS = env.list("TRUSTED_PROXY_IPS", default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.role",
                "notices.context_processors.bell",
            ],
        },
    },
]

# postgis://user:password@host:port/name ; the scheme selects the GeoDjango backend.
# Two roles (docs/adr/0011): the application connects as DATABASE_URL's role, which owns no
# table and may only read and add audit events; `manage.py migrate` connects as
# DATABASE_OWNER_URL's role, which owns the schema, and then grants the application's role
# what it needs (core/db_roles.py). Without DATABASE_OWNER_URL one role does both.
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default="postgis://hotspots_app@127.0.0.1:5432/hotspots"
    ),
}
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL",
                         default="postgis://postgres@127.0.0.1:5432/hotspots")
DATABASE_APP_ROLE = DATABASES["default"].get("USER", "")
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["TEST"] = {"NAME": env("DATABASE_TEST_NAME", default="test_hotspots")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Stored in UTC, shown in the force's local time (a deployment setting).
TIME_ZONE = env("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# Uploaded crime files can be large; Django streams them to disk past this size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # a batch of 10,000 GPS pings fits
# Any other request body: a visit, a plan edit or a form is a few kilobytes.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=1024 * 1024)
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=1024 * 1024 * 1024)
# A street file uploaded in the admin (a force's cut of OS Open Roads is tens of MB).
STREETS_MAX_UPLOAD_BYTES = env.int("STREETS_MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)
# A zip or gzip may expand at most this many times its size, and to this many bytes in all;
# beyond that it is refused before any row is read (a zip bomb).
IMPORT_MAX_EXPANSION_RATIO = env.float("IMPORT_MAX_EXPANSION_RATIO", default=100.0)
IMPORT_MAX_EXPANDED_BYTES = env.int("IMPORT_MAX_EXPANDED_BYTES", default=8 * 1024**3)
# Imports of at least this many good rows split the insert over this many connections
# (one per core of the database server); smaller imports use one transaction.
IMPORT_PARALLEL_MIN_ROWS = env.int("IMPORT_PARALLEL_MIN_ROWS", default=20_000)
IMPORT_PARALLEL_WORKERS = env.int("IMPORT_PARALLEL_WORKERS", default=2)
# Uploaded source files are deleted this many days after their import finished.
IMPORT_UPLOAD_RETENTION_DAYS = env.int("IMPORT_UPLOAD_RETENTION_DAYS", default=30)

# --- Hot spots domain -------------------------------------------------------------------
# The metric projected CRS all analysis runs in. Fixed per deployment before the first
# migrate: geometry columns are created in it. British National Grid by default.
HOTSPOTS_SRID = env.int("HOTSPOTS_SRID", default=27700)
# The nightly recompute makes one run per area at this level (1 force, 2 BCU, 3 neighbourhood).
HOTSPOTS_RUN_LEVEL = env.int("HOTSPOTS_RUN_LEVEL", default=2)
# Runs look back from local midnight today, or from this date (YYYY-MM-DD) when set: for a
# demo force or a replay of historical data.
HOTSPOTS_WINDOW_END = env("HOTSPOTS_WINDOW_END", default="")

# --- Notices and email ---------------------------------------------------------------------
# Django's mail settings; emails carry a line and a link back to this address.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="hotspots@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Alarms for unpatrolled hot spots (issue 20) ------------------------------------------
# A tasked hot spot with nobody there (GPS or check-in) for this long in a shift on now, or
# under this share of its planned minutes by mid-shift, raises an alarm; its supervisors are
# told again at most this often while it is open and not acknowledged.
ALARM_NO_PRESENCE_HOURS = env.float("ALARM_NO_PRESENCE_HOURS", default=2.0)
ALARM_DOSE_SHARE = env.float("ALARM_DOSE_SHARE", default=0.25)
ALARM_REPEAT_MINUTES = env.int("ALARM_REPEAT_MINUTES", default=60)

# --- Training ------------------------------------------------------------------------------
# Giving a visit to someone without a current pass of their role's required modules warns
# the supervisor; set true to refuse it instead (issue 19).
TRAINING_REFUSE_UNTRAINED = env.bool("TRAINING_REFUSE_UNTRAINED", default=False)

# --- Tracking (patrols) -------------------------------------------------------------------
# GPS pings are personal data: kept this many days, then their partitions are dropped.
PING_RETENTION_DAYS = env.int("PING_RETENTION_DAYS", default=90)
PING_MAX_BATCH = env.int("PING_MAX_BATCH", default=10_000)
# How often the Live page redraws visited and not yet visited, in seconds.
LIVE_REFRESH_SECONDS = env.int("LIVE_REFRESH_SECONDS", default=60)
PING_MAX_ACCURACY_M = env.float("PING_MAX_ACCURACY_M", default=100.0)
# A device clock a little ahead is normal; beyond this a ping is "in the future".
PING_MAX_FUTURE_SECONDS = env.int("PING_MAX_FUTURE_SECONDS", default=120)
PING_MAX_SPEED_MS = env.float("PING_MAX_SPEED_MS", default=70.0)  # about 160 mph
# Presence: a ping within this distance of a hot spot counts as in it; gaps up to this long
# do not break a stay; a stay shorter than the dwell is a drive-through, not a patrol.
PRESENCE_TOLERANCE_M = env.float("PRESENCE_TOLERANCE_M", default=25.0)
PRESENCE_GAP_SECONDS = env.int("PRESENCE_GAP_SECONDS", default=180)
PRESENCE_MIN_DWELL_SECONDS = env.int("PRESENCE_MIN_DWELL_SECONDS", default=120)
# A check-in further than this from the hot spot is flagged as outside it.
VISIT_TOLERANCE_M = env.float("VISIT_TOLERANCE_M", default=50.0)
VISIT_DEFAULT_DWELL_MINUTES = env.int("VISIT_DEFAULT_DWELL_MINUTES", default=15)

# --- REST framework -----------------------------------------------------------------------
# API tokens (accounts/tokens.py): a new one at each sign-in, for a fixed time; an officer's
# lasts a shift. Only a digest is stored.
API_TOKEN_HOURS = env.int("API_TOKEN_HOURS", default=7 * 24)
API_TOKEN_OFFICER_HOURS = env.int("API_TOKEN_OFFICER_HOURS", default=10)
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105  (a model name)
# knox's own token table is replaced by accounts.ApiToken: its migrations would still make
# an empty table whose key to the users blocks emptying them.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=API_TOKEN_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
REST_FRAMEWORK = {
    # Token first, so an unauthenticated call gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view must name the permissions it needs.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.LimitOffsetPage",
    # JSON nested beyond a few levels is refused (core.api); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hot spots policing API",
    "DESCRIPTION": "Targeting, tasking, tracking and testing of hot spots patrols.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a "status": each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "tasking.models.TaskingPlan.Status",
        "TaskStatusEnum": "tasking.models.PatrolTask.Status",
        "ProblemSolvingStatusEnum": "tasking.models.ProblemSolving.Status",
        "JobStatusEnum": "core.jobs.JobStatus",
        "DeviceKindEnum": "patrols.models.Device.Kind",
        "ExportKindEnum": "reports.models.ExportJob.Kind",
        "ExportFormatEnum": "reports.models.ExportJob.Format",
        "ImportFormatEnum": "hotspots.models.ImportJob.Format",
    },
}

# --- Maps ---------------------------------------------------------------------------------
# Forces run their own tile servers; an empty value draws maps without a base layer.
MAP_TILES_URL = env("MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_ATTRIBUTION = env(
    "MAP_TILES_ATTRIBUTION", default="&copy; OpenStreetMap contributors"
)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (51.53, -0.13),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 19,
    "TILES": [("Base map", MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION})]
    if MAP_TILES_URL
    else [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
    # The force's own street layer, from this site's vector tiles, on every map (streets/).
    "PLUGINS": {"streets": {"js": ["vendor/protomaps-leaflet/protomaps-leaflet.js",
                                   "js/streets.js"], "auto-include": True}},
}

# Content Security Policy. Scripts come from this site only; the one inline script, the
# map set-up django-leaflet writes, carries the request's nonce, and the API docs load
# Swagger UI's set-up as a file. Styles still allow inline (Leaflet and Swagger UI set
# them). Images may also come from the tile server; nothing may frame the site or post
# elsewhere.
_TILE_ORIGIN = "/".join(MAP_TILES_URL.split("/")[:3]).replace("{s}.", "*.") if MAP_TILES_URL \
    else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# Shared by every web worker: the supervisor map's payloads are cached per plan version.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": REDIS_URL, "KEY_PREFIX": "hotspots", "TIMEOUT": 3600}}
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only when it finished, and re-queued if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 2 * 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Above the longest task, or Redis hands an unacknowledged task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600}
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic schedule lives in code; django-celery-beat copies it into its tables.
CELERY_BEAT_SCHEDULE = {
    # One run per area a night, after the day's imports; re-runs the same night do nothing.
    "recompute-hotspots": {
        "task": "hotspots.tasks.hotspot_runs_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    # Runs, imports and exports a killed worker or a Redis outage left behind are sent again.
    "resume-lost-jobs": {
        "task": "hotspots.tasks.jobs_resume",
        "schedule": 300.0,
    },
    "resume-lost-exports": {
        "task": "reports.tasks.exports_resume",
        "schedule": 300.0,
    },
    "purge-import-uploads": {
        "task": "hotspots.tasks.import_uploads_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    # Unpatrolled hot spots: raised, repeated and cleared; a re-run raises nothing new.
    "alarms-check": {
        "task": "patrols.tasks.alarms_check",
        "schedule": 300.0,
    },
    # Pings become presence a minute or so after they arrive; a re-run recomputes the same.
    "presence-update": {
        "task": "patrols.tasks.presence_update",
        "schedule": 60.0,
    },
    # Tomorrow's ping partitions exist before midnight; expired ones are dropped.
    "ping-partitions": {
        "task": "patrols.tasks.ping_partitions_maintain",
        "schedule": crontab(hour=23, minute=10),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Debian 12 ships GDAL 3.6, which cannot block file and network access from spatial
# references. GDAL only opens boundary files an admin imports from the command line.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
