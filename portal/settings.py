"""Settings for the clinic's patient portal.

Everything comes from the environment (django-environ). Development runs on
embedded defaults (SQLite, a filesystem Celery broker, a local-memory cache);
production refuses to start without a secret key. See README.md for each
variable and its default.
"""

import os
from datetime import timedelta
from email.utils import formataddr
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (DJANGO_DEBUG=0). "
            "Set DJANGO_SECRET_KEY to a long random string, or DJANGO_DEBUG=1 for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-not-for-production-use-0123456789"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# The clinic's apps, in the order their sections appear on /me/ and /staff/ and their demo
# data is made (portal.discovery): symptoms first, so item-9 alerts top /staff/; screening clears
# the demo patient before scheduling books.
INSTALLED_APPS = [
    "portal.apps.PortalConfig",
    "symptoms.apps.SymptomsConfig",
    "screening.apps.ScreeningConfig",
    "scheduling.apps.SchedulingConfig",
    "education.apps.EducationConfig",
    # The read-only FHIR R4 API for EHRs (imports the apps above; nothing imports it).
    "fhir_api.apps.FhirConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "formtools",
    "axes",
    "csp",
    # Two-step sign-in for clinic staff: an authenticator app (TOTP) and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    # First: no body on HEAD, a Permissions-Policy and private caching on every response.
    "portal.middleware.ResponseHygieneMiddleware",
    # Before anything reads request.is_secure(): only a trusted proxy may say "https".
    "portal.middleware.ForwardedProtoMiddleware",
    "portal.middleware.RequestLogMiddleware",
    "portal.middleware.ClinicTimeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that can answer early (a bad Host header's 400, whitenoise, the guide
    # cache), so every response carries the frame and content policies.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Guide pages for visitors without a session, from the cache (see its docstring).
    "education.middleware.GuidePageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    # After the idle check: a staff session must have passed its second step (portal.two_factor).
    "portal.middleware.StaffTwoFactorMiddleware",
    "portal.middleware.FriendlyErrorPagesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

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
                "csp.context_processors.nonce",
                "portal.context_processors.portal",
            ],
            # `|day` (portal.clock.day_text): a date with its year when a patient could misplace it;
            # `phone_links`: every phone number a tel: link (base.html and the email layout).
            "builtins": ["portal.templatetags.clinic_time", "portal.templatetags.phone_links"],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Keep connections for a minute; health-checked so a restarted PostgreSQL
    # does not leave gunicorn workers holding dead sockets.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# "transaction" when a pooler in transaction mode (PgBouncer's pool_mode = transaction) stands
# between the portal and PostgreSQL: consecutive transactions of one connection may then run on
# different server connections, so nothing may outlive its transaction. Django's server-side
# cursors (.iterator()) do, and are turned off; the portal itself keeps no session state (its
# advisory lock is pg_advisory_xact_lock, it sets nothing without LOCAL, never LISTENs, and
# psycopg2 makes no prepared statements). Empty (default): a direct connection or session mode.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "session", "transaction"):
    raise ImproperlyConfigured(f"DATABASE_POOLER={DATABASE_POOLER!r}: use empty, session or transaction.")
if DATABASE_POOLER == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

# --- Redis: broker and cache ----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # kombu's filesystem transport: a broker that needs no server, for `make run`.
    CELERY_BROKER_FOLDER = env.path("CELERY_BROKER_FOLDER", default=BASE_DIR / "var" / "broker")
    CELERY_BROKER_URL = "filesystem://"
    # The folder is made when the Celery app reads this configuration (portal/celery.py), not
    # here: importing settings creates nothing on disk.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER),  # not ./control in whatever folder a command runs from
        "store_processed": False,
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The one place for task time limits (no task sets its own): the dispatcher stops claiming new
# work after NOTIFICATION_TIME_BUDGET_SECONDS, the soft limit interrupts a stuck send, the
# hard limit a stuck worker. Budget < soft < hard, and all under beat's one-minute period.
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Due-later work lives in the Notification outbox; beat only wakes the dispatcher.
    "dispatch-notifications": {
        "task": "scheduling.tasks.dispatch_notifications",
        "schedule": float(env.int("NOTIFICATION_DISPATCH_EVERY_SECONDS", default=60)),
    },
    # Item-9 (PHQ-9) alert emails go after commit; this retries any that failed.
    "notify-safety-alerts": {
        "task": "symptoms.tasks.notify_safety_alerts",
        "schedule": 60.0,
    },
    # An item-9 alert nobody reached the patient about within the clinic's hours goes to every clinician.
    "escalate-safety-alerts": {
        "task": "symptoms.tasks.escalate_safety_alerts",
        "schedule": 300.0,
    },
}

# --- Email ----------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Text messages (scheduling/sms.py): "console" (default), "http" (a provider's JSON API).
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
# SMS_BACKEND=file: one file a message here (`make run` points emails at the same folder).
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "outbox"))
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.int("SMS_HTTP_TIMEOUT", default=10)  # seconds per request to the provider
if SMS_BACKEND == "http" and not SMS_HTTP_URL:
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL (and usually SMS_HTTP_TOKEN).")

# The notification outbox's dispatcher (scheduling/notifications.py).
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
NOTIFICATION_RECLAIM_SECONDS = env.int("NOTIFICATION_RECLAIM_SECONDS", default=300)
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=200)
# One dispatch run stops sending after this many seconds (under CELERY_TASK_SOFT_TIME_LIMIT).
NOTIFICATION_TIME_BUDGET_SECONDS = env.int("NOTIFICATION_TIME_BUDGET_SECONDS", default=40)
if not 0 < NOTIFICATION_TIME_BUDGET_SECONDS < CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"NOTIFICATION_TIME_BUDGET_SECONDS must be between 1 and {CELERY_TASK_SOFT_TIME_LIMIT - 1} seconds "
        "(a dispatch run must end before the task's soft time limit)."
    )
# A claim is taken back only when no live dispatcher can still hold it: a run is stopped by the
# task's hard time limit at the latest, so a shorter reclaim delay would send a message twice.
if NOTIFICATION_RECLAIM_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"NOTIFICATION_RECLAIM_SECONDS must be over {CELERY_TASK_TIME_LIMIT} seconds (the dispatch task's hard time "
        "limit): a shorter delay takes back messages a live worker is still sending, and they go out twice."
    )
# A booking wakes the dispatcher after it commits (off: only beat's minute does).
NOTIFICATION_DISPATCH_ON_COMMIT = env.bool("NOTIFICATION_DISPATCH_ON_COMMIT", default=True)

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clinic portal <portal@clinic.example>")
EMAIL_TIMEOUT = 10

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first: memory-hard, the winner of the Password Hashing Competition and OWASP's first
# choice (portal/hashers.py has the parameters and why). Hashes made by the older PBKDF2 default
# still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "portal.hashers.ClinicArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after-login"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # reset links live one day
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
# How long a FHIR API bearer token from `manage.py fhir_token_create` works.
FHIR_TOKEN_VALID_DAYS = env.int("FHIR_TOKEN_VALID_DAYS", default=90)
# Self-screenings one address may send in an hour (screening.services), against floods.
# Working days within which the clinic calls a patient who sent a self-screening (the "sent" page says it).
SCREENING_CALL_BACK_DAYS = env.int("SCREENING_CALL_BACK_DAYS", default=2)
SCREENING_SUBMISSIONS_PER_HOUR = env.int("SCREENING_SUBMISSIONS_PER_HOUR", default=10)
# Emails anyone can trigger by typing an address (password resets, screening confirmations):
# at most this many an hour to one address, and password resets from one client.
EMAILS_PER_ADDRESS_PER_HOUR = env.int("EMAILS_PER_ADDRESS_PER_HOUR", default=3)
PASSWORD_RESETS_PER_CLIENT_PER_HOUR = env.int("PASSWORD_RESETS_PER_CLIENT_PER_HOUR", default=10)

# Two-step sign-in (django-otp) is required of front-desk staff, clinicians and superusers. A new
# staff account has STAFF_TWO_FACTOR_GRACE_HOURS from its first sign-in to set up an
# authenticator app (0: at once); after that, or as soon as it has one, every sign-in asks for a code.
STAFF_TWO_FACTOR_GRACE_HOURS = env.int("STAFF_TWO_FACTOR_GRACE_HOURS", default=72)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Clinic portal")
OTP_TOTP_THROTTLE_FACTOR = 1  # wrong codes wait 1, 2, 4, 8 ... seconds before the next try
OTP_STATIC_THROTTLE_FACTOR = 1
RECOVERY_CODE_COUNT = 10
# The admin never shows anyone's app key or recovery codes (one admin could otherwise sign in as
# another); an administrator resets a lost phone with the user admin's audited action instead.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-axes: lock the username + address pair, so guesses from one address
# never lock a patient out everywhere.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address as every other part of the portal reads it (portal.clients).
AXES_CLIENT_IP_CALLABLE = "portal.clients.client_ip"
AXES_VERBOSE = False

# --- Sessions: idle logoff and an absolute lifetime (HIPAA automatic logoff) ----
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_IDLE_WARNING = env.int("SESSION_IDLE_WARNING", default=2 * 60)
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
# The cookie also ends with the browser: a closed browser on a shared computer is signed out.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Security headers and cookies -----------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # The load balancer's health checks speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are bound to this exact host, over HTTPS, path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Reverse proxies (addresses or networks, e.g. "127.0.0.1,10.0.0.0/24") whose X-Forwarded-For
# entries are believed: lockouts, rate limits and the audit trail then see each real client.
# Empty (the default): REMOTE_ADDR is the client, and the header is ignored.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# django-csp 4: strict policy, no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation and the clinic's clock ---------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Seeds ClinicSettings.time_zone when the settings row is made; the admin edits it after, and
# the code reads the clinic's zone from the settings only (portal/clock.py), never from here.
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/New_York")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(CLINIC_TIME_ZONE)
except Exception as exc:  # noqa: BLE001 - any failure here is a misconfiguration
    raise ImproperlyConfigured(f"CLINIC_TIME_ZONE={CLINIC_TIME_ZONE!r} is not a known time zone.") from exc
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files (whitenoise) -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 60 * 60

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Clinic --------------------------------------------------------------------
CLINIC_NAME = env.str("CLINIC_NAME", default="Riverside Ketamine Clinic")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="(555) 010-0100")
# The sender and subject name of every email, text message and calendar entry: seen on a lock
# screen or in a shared calendar, so it names no treatment (issue 16). By default the clinic's
# name without the words that would ("Riverside Ketamine Clinic" -> "Riverside Clinic").
_TREATMENT_WORDS = {"ketamine", "infusion", "infusions", "esketamine", "psychiatry", "psychiatric", "mental",
                   "depression", "mood", "behavioral", "addiction", "recovery", "therapy", "therapeutics"}
_neutral_words = [word for word in CLINIC_NAME.split() if word.strip(".,&-").lower() not in _TREATMENT_WORDS]
CLINIC_MESSAGE_NAME = env.str(
    "CLINIC_MESSAGE_NAME",
    default=" ".join(_neutral_words) if len(_neutral_words) > 1 else "Your clinic",
)
if not CLINIC_MESSAGE_NAME.strip() or "\n" in CLINIC_MESSAGE_NAME or "\r" in CLINIC_MESSAGE_NAME:
    raise ImproperlyConfigured("CLINIC_MESSAGE_NAME must be a short name on one line.")
if "DEFAULT_FROM_EMAIL" not in os.environ:
    # The sender's name shows on a lock screen too.
    DEFAULT_FROM_EMAIL = formataddr((CLINIC_MESSAGE_NAME, "portal@clinic.example"))
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Logging: one line a request, no patient data -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # One line per request (portal.middleware.RequestLogMiddleware); off with LOG_REQUESTS=0.
        "portal.request": {"level": "INFO" if env.bool("LOG_REQUESTS", default=True) else "WARNING"},
    },
}
