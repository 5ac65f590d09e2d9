"""What the talks app tells the rest of the system.

``appointee_cleared`` is sent exactly once per appointment, on commit of the transaction
that cleared it, with ``appointment``. Certificates (#8) and notifications listen.
"""

from django.dispatch import Signal

appointee_cleared = Signal()
