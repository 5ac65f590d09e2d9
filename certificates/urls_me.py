"""``/me/certificates/…``: the holder's own certificates (namespace ``my_certificates``)."""

app_name = "my_certificates"

urlpatterns: list = []
