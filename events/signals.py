"""What the events app tells the rest of the system.

``campaign_completed`` is sent once per person and campaign, with ``completion``, *inside*
the transaction that records the ``CampaignCompletion``: a receiver that fails rolls the
completion back, and receivers that reach the outside world (e-mail, tasks) use
``transaction.on_commit``. Certificates listen (``qinglian.certificate_wiring``).
"""

from django.dispatch import Signal

campaign_completed = Signal()
