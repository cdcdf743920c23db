"""The plan as JSON: the versioned structure of docs/plan-format.md."""
from __future__ import annotations

import json

from kgitops.plan import Plan, plan_to_dict


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, sort_keys=False)
