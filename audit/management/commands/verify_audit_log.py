"""``python manage.py verify_audit_log``: walk the hash chain of the audit log.

Exit status 0 with "OK, N entries" when every link holds; non-zero with the first broken
link (entry id, kind: changed / deleted / inserted / head mismatch, and a message)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit log broken at entry #{result.broken_id} ({result.kind}): "
                f"{result.message} ({result.checked} entries verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(str(result)))
