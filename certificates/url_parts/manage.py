"""``/certificates/…`` for unit admins and discipline officers: list, detail, revoke,
reissue (names ``certificate_*``). Filled by the lifecycle work."""

urlpatterns: list = []
