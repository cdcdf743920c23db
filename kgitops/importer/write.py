"""Writing the imported files (never over different ones) and checking them the way plan will."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping

from kgitops.desired.loader import display_path, load_cluster
from kgitops.kinds import KINDS
from kgitops.kinds.topic.compare import diff_topics
from kgitops.errors import InputError, KgitopsError
from kgitops.importer.found import TOPICS_DIR, ImportNote
from kgitops.model import LiveCluster
from kgitops.policy.desired import MIN_INSYNC, check_desired






# ---------------------------------------------------------------------------
# Writing and checking
# ---------------------------------------------------------------------------


def refuse_conflicts(out: Path, files: Mapping[str, str]) -> None:
    """Nothing is written when DIR holds a file import would replace with other content,
    or a topic file import did not write (the include glob would declare its topics a
    second time). Identical files are fine: importing an unchanged cluster again works."""
    conflicts = [rel for rel, text in sorted(files.items()) if _differs(out / rel, text)]
    topics_dir = out / TOPICS_DIR
    if topics_dir.is_dir():
        conflicts += sorted(f"{TOPICS_DIR}/{p.name}" for p in topics_dir.glob("*.yaml")
                            if f"{TOPICS_DIR}/{p.name}" not in files)
    if conflicts:
        shown = "\n".join(f"  {display_path(str(out / rel))}" for rel in conflicts[:20])
        more = f"\n  ... and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
        raise InputError(
            f"{display_path(str(out))} already holds {len(conflicts)} file(s) that the import would replace or that "
            f"would be included next to the imported ones; nothing was written:\n{shown}{more}\n"
            f"Import into an empty directory (or move these files away) and compare.")


def _differs(path: Path, text: str) -> bool:
    if not path.exists():
        return False
    try:
        return path.read_text(encoding="utf-8") != text
    except (OSError, UnicodeDecodeError):
        return True


def write_files(out: Path, files: Mapping[str, str]) -> tuple[int, int]:
    """(files written, files already identical). Each file is written whole or not at all."""
    written = unchanged = 0
    for rel, text in sorted(files.items()):
        path = out / rel
        if path.exists() and not _differs(path, text):
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written += 1
    return written, unchanged


def check_imported_files(cluster_file: Path, live: LiveCluster) -> list[ImportNote]:
    """Load what was written the way plan will, and say now what plan would show for
    the topics: refusals by the policy, and any topic change (there should be none)."""
    try:
        loaded = load_cluster(cluster_file, KINDS, connected=True)
    except InputError as err:
        raise KgitopsError(
            f"the imported files were written but do not load, which is a bug in kgitops import; please report "
            f"it with these problems:\n{err.message}") from err
    notes: list[ImportNote] = []
    policy = check_desired(loaded.cluster)
    refused = [p for p in policy if p.severity == "error"]
    notes += [ImportNote(f"plan will refuse until this is fixed: {p}") for p in refused]
    without_min_insync = sum(1 for t in loaded.cluster.topics if MIN_INSYNC not in t.config)
    if without_min_insync:
        notes.append(ImportNote(f"{without_min_insync} topic(s) set no {MIN_INSYNC} of their own and use the "
                                "brokers' value; plan warns about each until they declare one"))
    # That per-topic warning is summarised above; any other policy warning is passed on.
    notes += [ImportNote(str(p)) for p in policy
              if p.severity == "warning" and f"does not declare {MIN_INSYNC}" not in p.message]
    changes = diff_topics(loaded.cluster, live)
    notes += [ImportNote(f"plan will show a change: {action.kind.replace('_', ' ')} {action.resource}")
              for action in changes.actions]
    notes += [ImportNote(f"plan will refuse: {problem}") for problem in changes.refusals]
    return notes
