"""The dashboard's figures, counted in SQL per sub-unit (see docs/dashboard.md for the
definition of every figure). TODO(helper: metrics)."""
