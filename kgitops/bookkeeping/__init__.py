"""kgitops' own records in the cluster: the apply lock (lock.py), the audit trail (audit.py) and the internal topics they live in (internal_topics.py)."""
