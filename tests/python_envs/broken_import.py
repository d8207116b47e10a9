"""A module whose import fails (for rlfleet's start-error tests)."""

raise ImportError("broken_import cannot be imported on purpose")
