from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# pytest-xdist runs the suite in several processes ("gw0", "gw1", …). Each keeps its own
# cache keys and its own Celery queue (its integration worker consumes only that queue), so
# parallel processes can share one Redis cache DB and one broker DB without seeing each
# other's rate-limit counters, locks or tasks. tests/conftest.py clears only this prefix.
XDIST_WORKER = env("PYTEST_XDIST_WORKER", default="")
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://qinglian-test")}
CACHES["default"]["KEY_PREFIX"] = f"qinglian-test-{XDIST_WORKER or 'main'}"
CELERY_TASK_DEFAULT_QUEUE = f"qinglian-test-{XDIST_WORKER or 'main'}"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
QINGLIAN_REQUIRE_STAFF_MFA = env.bool("QINGLIAN_REQUIRE_STAFF_MFA", default=False)
WAGTAILADMIN_BASE_URL = "http://testserver"

# Tests run tasks eagerly; tests marked ``integration`` switch to the real worker when
# CELERY_BROKER_URL is set (see tests/conftest.py ``celery_mode``).
# The worker that the integration fixture starts sets QINGLIAN_CELERY_EAGER=0, so tasks it
# enqueues go through the broker too.
CELERY_TASK_ALWAYS_EAGER = env.bool("QINGLIAN_CELERY_EAGER", default=True)

# Knobs for tests/certificates/test_worker_faults.py, which starts its own worker: the
# private storage on the file system (shared by the test process and the worker) and a
# delay inside each certificate render, long enough to kill the worker in the middle.
if env("QINGLIAN_TEST_PRIVATE_MEDIA_ROOT", default=""):
    STORAGES["private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("QINGLIAN_TEST_PRIVATE_MEDIA_ROOT"), "base_url": None},
    }
CERTIFICATES_TEST_RENDER_DELAY = env.float("QINGLIAN_TEST_CERT_RENDER_DELAY", default=0.0)
