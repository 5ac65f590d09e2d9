"""``/certificates/batches/…``: ZIP batches of a course's or campaign's certificates
(names ``batch_*``)."""

urlpatterns: list = []
