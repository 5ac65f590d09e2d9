"""What the people app tells the rest of the system.

``people_changed`` is sent with ``user_ids=`` after a bulk write that skips ``post_save``
(the people import creates and updates with ``bulk_create`` / ``bulk_update``), inside
the transaction that made the change. Receivers that do work should defer it with
``transaction.on_commit`` (the courses app enrols the people in the assignments they now
match).
"""

from django.dispatch import Signal

people_changed = Signal()
