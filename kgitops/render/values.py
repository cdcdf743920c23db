"""Config values as people read them: `604800000 (7d)`, `1073741824 (1 GiB)`."""
from __future__ import annotations

from kgitops.desired import topic_configs


def human(key: str, value: str | None) -> str:
    if value is None:
        return "(unset)"
    definition = topic_configs.any_version_config(key)  # 3.x-only keys read as well
    if definition is None or definition.unit is None:
        return value
    try:
        number = int(value)
    except ValueError:
        return value
    if number < 0:
        return f"{value} (unlimited)" if key.startswith(("retention", "local.retention")) else value
    readable = topic_configs.human_ms(number) if definition.unit == "ms" else topic_configs.human_bytes(number)
    return f"{value} ({readable})" if readable and readable != value else value
