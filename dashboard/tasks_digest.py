"""The weekly digest for unit admins. TODO(helper: digest)."""
