"""What the events app tells the rest of the system.

``campaign_completed`` is sent once per person and campaign, on commit of the transaction
that recorded the ``CampaignCompletion``, with ``completion``. Certificates (#8) listen.
"""

from django.dispatch import Signal

campaign_completed = Signal()
