"""What the talks app tells the rest of the system.

``appointee_cleared`` is sent exactly once per appointment, with ``appointment``, *inside*
the transaction that clears it: a receiver that fails rolls the clearing back, and
receivers that reach the outside world (e-mail, tasks) use ``transaction.on_commit``.
Certificates listen (``qinglian.certificate_wiring``).
"""

from django.dispatch import Signal

appointee_cleared = Signal()

#: Sent inside the transaction that recorded a talk (``talk``: a ``TalkRecord`` whose
#: status became "recorded"); the programme marks the talk step done in that transaction.
talk_recorded = Signal()

#: Sent inside the transaction that stored a signature (``signature``: a
#: ``PledgeSignature``); the programme marks the pledge step done in that transaction.
pledge_signed = Signal()
