"""What courses tell the rest of the system.

``course_completed`` is sent exactly once per person and course, with ``completion``,
*inside* the transaction that records the ``CourseCompletion``: a receiver that fails
rolls the completion back, and receivers that reach the outside world (e-mail, tasks) use
``transaction.on_commit``. The study-hour ledger listens (``courses.services.ledger``), as
do certificates (``qinglian.certificate_wiring``: the certificate row commits with the
completion), make-up study (``events.services.leave``) and the pre-appointment programme.
"""

from django.dispatch import Signal

course_completed = Signal()
