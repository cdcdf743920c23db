"""JSON Schema subjects: the offline check (jsonschema's metaschema check, located at the
offending line), and the local compatibility verdict with the plan's changes."""
