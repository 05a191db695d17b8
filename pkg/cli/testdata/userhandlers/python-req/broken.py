"""Raises while it is imported: a configuration check at init that fails."""

raise RuntimeError("cannot reach the configuration service")
