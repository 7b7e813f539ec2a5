"""Plumbline settings: everything that differs between machines comes from the environment."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from plumbline.core.env import email_settings, envbool, envint, envlist, envstr, public_base_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("PLUMBLINE_DATA_DIR", str(BASE_DIR / "var")))

DEV_SECRET_KEY = "plumbline-development-secret-do-not-use-in-production"
PRODUCTION = envstr("PLUMBLINE_ENV", "development") == "production"
SECRET_KEY = envstr("SECRET_KEY", DEV_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "PLUMBLINE_ENV=production refuses the development SECRET_KEY: set SECRET_KEY in the environment."
    )
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "PLUMBLINE_ENV=production refuses a weak SECRET_KEY: use at least 50 random characters, e.g. "
        "python -c \"import secrets; print(secrets.token_urlsafe(50))\"."
    )
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "plumbline.accounts",  # before django.contrib.auth: its createsuperuser (password validators) takes precedence
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI's assets from our static files instead of a CDN (/api/v1/docs works offline)
    "django_tasks",
    "django_tasks_db",
    "axes",
    "plumbline.core",
    "plumbline.events",
    "plumbline.crm",
    "plumbline.marketing",
    "plumbline.tracking",
    "plumbline.consent",
    "plumbline.interop",
    "plumbline.demo",
    "plumbline.analytics",
    "plumbline.definitions",
    "plumbline.scoring",
    "plumbline.handoff",
    "plumbline.playbook",
    "plumbline.worker",
    "plumbline.webhooks",
    "plumbline.webforms",
    "plumbline.segments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "plumbline.core.security.ContentSecurityPolicyMiddleware",
    "plumbline.core.security.RequestTooBigMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked-out login into the lockout page
]

ROOT_URLCONF = "plumbline.urls"
WSGI_APPLICATION = "plumbline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "plumbline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plumbline.core.context.navigation",
                "plumbline.accounts.context.notifications",
            ],
        },
    },
]

# Run on every new SQLite connection (Django runs each statement of init_command in turn; a test checks they hold).
# WAL lets the web server and the worker read while one of them writes; IMMEDIATE takes the write lock at BEGIN,
# where busy_timeout can wait for it, instead of failing at the first write of a deferred transaction. 20 s of
# waiting for the lock stays under gunicorn's 30 s worker timeout; writers keep their transactions far shorter.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    "transaction_mode": "IMMEDIATE",
}
DATABASE_URL = envstr("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: a SQLite file in the data directory, which a fresh clone doesn't have yet.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'plumbline.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    DATABASES["default"]["TEST"] = {"NAME": envstr("SQLITE_TEST_NAME", "") or None}
else:
    # One test database per test process, so parallel runs on one server don't drop each other's database.
    DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DB_NAME", "") or f"test_plumbline_{os.getpid()}"}
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # JIT compiling took 1.3-2.9 s of each segment count over touchpoints (docs/benchmarks.md, "Segments"); off
    # unless the URL's `?options=` says otherwise.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "plumbline" / "static"]  # the project-wide CSS, JS and vendored htmx
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"

TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The change feed (plumbline.events): events older than this that every consumer has passed may be pruned
# (`plumbline events prune`, and nightly by the scheduler).
EVENTS_RETENTION_DAYS = envint("EVENTS_RETENTION_DAYS", 90)
# How long a worker holds a consumer without finishing a batch before another worker may take it over (a worker
# killed mid-batch leaves its lease behind): longer than any batch takes.
EVENTS_LEASE_SECONDS = envint("EVENTS_LEASE_SECONDS", 60)

# Without EMAIL_URL, development writes each email as a file into var/mail/ (open them to follow links).
for _key, _value in email_settings(envstr("EMAIL_URL", ""), None if PRODUCTION else DATA_DIR / "mail").items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Plumbline <plumbline@localhost>")

# Outbound webhooks never reach loopback, private, link-local or metadata addresses, except on these hosts
# (comma-separated names or IP addresses, e.g. a receiver on this machine).
WEBHOOK_ALLOWED_HOSTS = envlist("WEBHOOK_ALLOWED_HOSTS", [])

# Links, QR codes and vanity URLs point here; unset, it follows the HOST and PORT `plumbline serve` binds.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "") or public_base_url(envstr("HOST", "127.0.0.1"), envint("PORT", 8000))
# The demo company's website at /demo-site/ is served while the demo company is loaded; DEMO_SITE=off hides it.
DEMO_SITE = envbool("DEMO_SITE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
    "loggers": {"plumbline": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO"), "propagate": False}},
}

# --- Security hardening (issue 10) ---------------------------------------------------------------------------
# Production speaks HTTPS only. Behind a proxy that terminates TLS, set BEHIND_TLS_PROXY=true so Django trusts
# its X-Forwarded-Proto header (only then: a client could send that header itself).
SECURE_SSL_REDIRECT = PRODUCTION and envbool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes may speak plain HTTP
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the whole domain to HTTPS in browsers for months: its owner decides (SECURE_HSTS_PRELOAD=true).
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Sign-in throttling (django-axes): five failures for one username from one address lock that pair out for
# 15 minutes; a success resets the count. The API has no password sign-in (bearer tokens of 256 random
# bits, which cannot be guessed), so only the sign-in page is throttled.
AUTHENTICATION_BACKENDS = ["plumbline.accounts.backends.ThrottledSignIn", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "plumbline.core.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "plumbline.core.security.client_address"
AXES_VERBOSE = False  # its log lines name the username and address: personal data

# Request bodies: 2.5 MB of form or JSON fields (Django's default), batch endpoints included (1,000 touchpoints
# are ~0.3 MB); uploads (CSV import) up to IMPORT_MAX_MB, as the import checks. Bigger bodies get a 413 that says so.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_BYTES", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads spool to a temporary file
IMPORT_MAX_BYTES = envint("IMPORT_MAX_MB", 200) * 1024 * 1024
# Public forms (plumbline/webforms/spam.py): the proof of work's size (a browser tries up to this many hashes, about
# half on average: well under a second) and the submissions one address may make per hour.
FORMS_POW_MAX_NUMBER = envint("FORMS_POW_MAX_NUMBER", 50_000)
FORMS_RATE_LIMIT_PER_HOUR = envint("FORMS_RATE_LIMIT_PER_HOUR", 20)
# The tracking script's identify beacons from one address may name this many contacts a day; the rest stay
# anonymous (a public endpoint that takes any email must not let one sender create or claim contacts at will).
TRACKING_IDENTIFY_PER_ADDRESS_PER_DAY = envint("TRACKING_IDENTIFY_PER_ADDRESS_PER_DAY", 20)

# Production without EMAIL_URL: the console backend would write every notification (names, addresses,
# lead details) to the log. Mail is dropped instead, and each process says so when it starts (core/apps.py).
if PRODUCTION and not envstr("EMAIL_URL", ""):
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
