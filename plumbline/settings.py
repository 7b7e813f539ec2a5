"""Plumbline settings: everything that differs between machines comes from the environment."""

from __future__ import annotations

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
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI's assets from our static files instead of a CDN (/api/v1/docs works offline)
    "django_tasks",
    "django_tasks_db",
    "plumbline.core",
    "plumbline.accounts",
    "plumbline.crm",
    "plumbline.marketing",
    "plumbline.interop",
    "plumbline.demo",
    "plumbline.analytics",
    "plumbline.definitions",
    "plumbline.scoring",
    "plumbline.handoff",
    "plumbline.playbook",
    "plumbline.worker",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
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

for _key, _value in email_settings(envstr("EMAIL_URL", "")).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Plumbline <plumbline@localhost>")

# Links, QR codes and vanity URLs point here; unset, it follows the HOST and PORT `plumbline serve` binds.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "") or public_base_url(envstr("HOST", "127.0.0.1"), envint("PORT", 8000))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
    "loggers": {"plumbline": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO"), "propagate": False}},
}
