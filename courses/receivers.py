"""Signal receivers of the courses app (connected in ``CoursesConfig.ready``)."""

from __future__ import annotations
