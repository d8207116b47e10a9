"""A worker that never answers (for rlfleet's start-timeout test)."""

import time

time.sleep(1000)
