"""``/verify/`` and ``/verify/<code>/``: the public verification page (namespace
``verify``)."""

app_name = "verify"

urlpatterns: list = []
