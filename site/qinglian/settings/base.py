"""Settings shared by every environment. Every deploy value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]
PROJECT_DIR = BASE_DIR / "site" / "qinglian"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "qinglian",
    "cases",
    "quizzes",
    "courses",
    "notifications",
    "events",
    "talks",
    "audit",
    "certificates",
    "dashboard",
    "wagtailmedia",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "people.apps.QinglianUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # After Wagtail and auth: its post_migrate hook needs their permissions to exist.
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "qinglian.middleware.StaffMFARequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "qinglian.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "qinglian.context_processors.site_shell",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "qinglian.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # One command, one machine: writers queue for the lock (instead of failing with
    # "database is locked") and a transaction takes it at BEGIN, so two concurrent
    # transactions never dead-end upgrading a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://qinglian"),
}

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "people.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# The set-password link (provisioning and password reset) also verifies the address it
# was mailed to, so a provisioned person can log in under mandatory verification.
ACCOUNT_FORMS = {"reset_password_from_key": "people.adapters.SetPasswordFromLinkForm"}
ACCOUNT_SESSION_REMEMBER = False
# Rate limits and lockout for every login path (allauth is the only one: the Wagtail
# admin login redirects here). "login_failed" locks an account+IP after repeated failures.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": env("QINGLIAN_LOGIN_FAILED_LIMIT", default="5/15m/key,20/15m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Qinglian 清廉"
QINGLIAN_REQUIRE_STAFF_MFA = env.bool("QINGLIAN_REQUIRE_STAFF_MFA", default=False)

# Idle sessions expire: the cookie age is refreshed on every request.
QINGLIAN_SESSION_IDLE_MINUTES = env.int("QINGLIAN_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = QINGLIAN_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Files only a view that checks the viewer's scope may serve (campaign evidence): kept
# outside MEDIA_ROOT, so the web server's /media/ never exposes them.
PRIVATE_MEDIA_ROOT = env.path("DJANGO_PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
PRIVATE_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": PRIVATE_STORAGE,
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
QINGLIAN_IMPORT_MAX_BYTES = env.int("QINGLIAN_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Imports with at least this many rows run as a Celery task with visible progress.
QINGLIAN_IMPORT_ASYNC_ROWS = env.int("QINGLIAN_IMPORT_ASYNC_ROWS", default=5000)
# The reverse proxies in front of gunicorn (addresses or networks, comma-separated): only
# when REMOTE_ADDR is one of them is X-Forwarded-For read for the client's address (rate
# limits, audit log, check-in device flags). Empty: REMOTE_ADDR is the client.
QINGLIAN_TRUSTED_PROXIES = env.list("QINGLIAN_TRUSTED_PROXIES", default=[])

# --- Wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "清廉 Qinglian"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
# Wagtail's database backend with Chinese segmentation (qinglian.search): title weighting on
# SQLite FTS5, the "simple" text-search configuration on PostgreSQL.
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "qinglian.search_backend", "SEARCH_CONFIG": "simple"}
}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Intranet, no internet: never fetch avatars from Gravatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
# Lesson and talk media (wagtailmedia): only formats every browser plays without plug-ins.
WAGTAILMEDIA = {
    "AUDIO_EXTENSIONS": ["mp3", "m4a", "ogg", "wav"],
    "VIDEO_EXTENSIONS": ["mp4", "webm", "ogv"],
}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env(
    "DJANGO_DEFAULT_FROM_EMAIL", default="清廉 Qinglian <noreply@qinglian.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker configured: run tasks eagerly in-process (one command, one machine).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Certificates (#8): the render task's time limits (a certificate renders in well under a
# second), how old a pending row must be before the sweep re-enqueues it (its message was
# lost), and how many times a failed render is retried before it is left failed.
CERTIFICATES_RENDER_SOFT_TIME_LIMIT = env.int("CERTIFICATES_RENDER_SOFT_TIME_LIMIT", default=60)
CERTIFICATES_RENDER_TIME_LIMIT = env.int("CERTIFICATES_RENDER_TIME_LIMIT", default=90)
CERTIFICATES_PENDING_STALE_SECONDS = env.int("CERTIFICATES_PENDING_STALE_SECONDS", default=300)
CERTIFICATES_RENDER_MAX_ATTEMPTS = env.int("CERTIFICATES_RENDER_MAX_ATTEMPTS", default=3)
# Dashboard (#9): XLSX exports of more rows than this are built by a Celery job with a
# progress page (CSV always streams); finished export files are deleted after a day.
DASHBOARD_EXPORT_INLINE_ROWS = env.int("DASHBOARD_EXPORT_INLINE_ROWS", default=5000)
DASHBOARD_EXPORT_KEEP_HOURS = env.int("DASHBOARD_EXPORT_KEEP_HOURS", default=24)
# A notification e-mail the mail server refused is tried again (5, 15, 45 … minutes later)
# up to this many attempts in all.
NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", default=5)
CELERY_BEAT_SCHEDULE = {
    "notifications-retry-emails": {
        "task": "notifications.tasks.notification_emails_retry_task",
        "schedule": crontab(minute="*/5"),
    },
    "dashboard-weekly-digest": {
        "task": "dashboard.tasks_digest.weekly_digest_send_task",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
    },
    "dashboard-exports-sweep": {
        "task": "dashboard.tasks_exports.export_jobs_sweep_task",
        "schedule": crontab(minute="*/10"),
    },
    "people-expire-stale-imports": {
        "task": "people.tasks.import_expire_stale",
        "schedule": crontab(minute=17, hour="*/6"),
    },
    "cases-requeue-stuck-compilations": {
        "task": "cases.tasks.compilation_requeue_stuck",
        "schedule": crontab(minute="*/5"),
    },
    "quizzes-submit-expired-attempts": {
        "task": "quizzes.tasks.attempt_submit_expired",
        "schedule": 60.0,
    },
    "courses-send-due-reminders": {
        "task": "courses.tasks.reminders_send",
        "schedule": crontab(minute=0, hour=8),
    },
    "courses-send-overdue-digest": {
        "task": "courses.tasks.overdue_digest_send",
        "schedule": crontab(minute=30, hour=8),
    },
    "events-send-reminders": {
        "task": "events.tasks.event_reminders_send",
        "schedule": crontab(minute="*/5"),
    },
    "certificates-requeue-stuck": {
        "task": "certificates.tasks.certificates_requeue_stuck_task",
        "schedule": crontab(minute="*/5"),
    },
    "certificates-batches-requeue-stuck": {
        "task": "certificates.tasks_batches.certificate_batches_requeue_stuck_task",
        "schedule": crontab(minute="*/5"),
    },
    "audit-purge-expired": {
        "task": "audit.tasks.audit_purge",
        "schedule": crontab(minute=40, hour=3),
    },
}

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}

QINGLIAN_IMPORT_PREVIEW_TTL = timedelta(hours=6)
SITE_NAME = _("Qinglian")

# --- Study and quizzes ----------------------------------------------------------------
# Video lessons: playback faster than this does not count; a heartbeat may claim at most
# this much media time per second of wall-clock time since the previous one (plus slack).
QINGLIAN_MAX_PLAYBACK_RATE = env.float("QINGLIAN_MAX_PLAYBACK_RATE", default=1.5)
QINGLIAN_HEARTBEAT_SLACK_SECONDS = env.int("QINGLIAN_HEARTBEAT_SLACK_SECONDS", default=2)
# Share of a video that must actually be watched for the lesson to complete.
QINGLIAN_VIDEO_COMPLETE_SHARE = env.float("QINGLIAN_VIDEO_COMPLETE_SHARE", default=0.95)
# Quiz answers arriving up to this long after the deadline are still graded.
QINGLIAN_QUIZ_GRACE_SECONDS = env.int("QINGLIAN_QUIZ_GRACE_SECONDS", default=30)
# Reminders are sent this many days before a due date (and once when overdue).
QINGLIAN_REMINDER_DAYS = [7, 3, 1]

# --- Education month and attendance (events) -----------------------------------------
# The check-in QR code's token changes every this many seconds; the previous token is still
# accepted for QINGLIAN_CHECKIN_GRACE_STEPS more periods (a scan taken just before a turn).
QINGLIAN_CHECKIN_ROTATE_SECONDS = env.int("QINGLIAN_CHECKIN_ROTATE_SECONDS", default=15)
QINGLIAN_CHECKIN_GRACE_STEPS = env.int("QINGLIAN_CHECKIN_GRACE_STEPS", default=1)
# A scan by someone who then has to log in is kept this long while they do.
QINGLIAN_CHECKIN_LOGIN_SECONDS = env.int("QINGLIAN_CHECKIN_LOGIN_SECONDS", default=300)
# Evidence uploads for campaign actions.
QINGLIAN_EVIDENCE_MAX_BYTES = env.int("QINGLIAN_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)

# --- Audit log ------------------------------------------------------------------------
# Audit rows older than this many days are purged (the law asks for at least 180).
QINGLIAN_AUDIT_RETENTION_DAYS = max(180, env.int("QINGLIAN_AUDIT_RETENTION_DAYS", default=365))

# --- Certificates: public verification --------------------------------------------------
# Lookups of /verify/<code>/ allowed per client IP (IPv6: per /64) in each window of this
# many seconds; over it the page answers 429 with Retry-After and looks nothing up.
CERTIFICATES_VERIFY_RATE_LIMIT = env.int("CERTIFICATES_VERIFY_RATE_LIMIT", default=30)
CERTIFICATES_VERIFY_RATE_WINDOW = env.int("CERTIFICATES_VERIFY_RATE_WINDOW", default=600)
