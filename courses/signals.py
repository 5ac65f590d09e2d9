"""What courses tell the rest of the system.

``course_completed`` is sent exactly once per person and course, on commit of the
transaction that recorded the ``CourseCompletion``, with ``completion``. The study-hour
ledger listens (``courses.receivers``); certificates (#8) will too.
"""

from django.dispatch import Signal

course_completed = Signal()
