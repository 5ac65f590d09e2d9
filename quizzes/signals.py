"""What the quiz engine tells the rest of the system.

``attempt_graded`` is sent once per attempt, on commit of the transaction that submitted
it (by the cadre or by the periodic auto-submit), with ``attempt`` (a graded
``quizzes.Attempt``). Courses listen to re-evaluate completion.
"""

from django.dispatch import Signal

attempt_graded = Signal()
