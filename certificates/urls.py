"""``/certificates/…`` for managers (unit admins, discipline officers)."""

from .url_parts import batches, manage

app_name = "certificates"

urlpatterns = [*batches.urlpatterns, *manage.urlpatterns]
