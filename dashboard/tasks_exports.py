"""Dashboard export jobs. TODO(helper: exports)."""
