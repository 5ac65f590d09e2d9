from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://qinglian-test")}
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
