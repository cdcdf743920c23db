"""Policy: rules on the desired state alone (desired.py) and against the live cluster (live.py)."""
