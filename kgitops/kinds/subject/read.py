"""Reading the subject kind's live form, and validate's check of the desired schemas
against what the registry holds now."""
from __future__ import annotations

from kgitops.errors import Problem
from kgitops.kinds.subject.compare import diff_subjects
from kgitops.live.registry import read_registry
from kgitops.live.registry_client import RegistryClient
from kgitops.model import ClusterSpec


def check_against_registry(cluster: ClusterSpec, client: RegistryClient) -> list[Problem]:
    """The local checker against what the registry holds now (latest versions, and every
    version where the effective level is transitive), for `kgitops validate`. Reads only the
    declared subjects; raises RegistryUnavailable (a ConnectionFailed) when the registry
    cannot be reached, so validate can say it skipped this check."""
    live = read_registry(client, cluster, include_claimed=False)
    _, problems = diff_subjects(cluster, live)
    return problems
