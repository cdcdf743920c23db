"""The plan as JSON: the versioned structure of docs/plan-format.md."""
from __future__ import annotations

import json
from typing import Any

from kgitops.plan import Plan, plan_to_dict


def render_json(plan: Plan, impacts: Any = None) -> str:
    """`impacts` (kgitops.kinds.topic.impact.Impacts) adds each action's `impact` object and
    the `consumers` section."""
    data = plan_to_dict(plan)
    if impacts is not None:
        data = impacts.add_to(data, plan.actions)
    return json.dumps(data, indent=2, sort_keys=False)
