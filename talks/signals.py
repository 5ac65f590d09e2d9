"""What the talks app tells the rest of the system.

``appointee_cleared`` is sent exactly once per appointment, on commit of the transaction
that cleared it, with ``appointment``. Certificates (#8) and notifications listen.
"""

from django.dispatch import Signal

appointee_cleared = Signal()

#: Sent inside the transaction that recorded a talk (``talk``: a ``TalkRecord`` whose
#: status became "recorded"); the programme marks the talk step done in that transaction.
talk_recorded = Signal()

#: Sent inside the transaction that stored a signature (``signature``: a
#: ``PledgeSignature``); the programme marks the pledge step done in that transaction.
pledge_signed = Signal()
