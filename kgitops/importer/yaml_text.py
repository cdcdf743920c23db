"""The imported state as YAML text, laid out like the hand-written examples (docs and
clusters/): indented lists, one blank line between topics, short flow lists for
`cleanup.policy` and flow mappings for schema references.

Topic files are emitted by hand for their one fixed shape (fast on tens of thousands of
topics), with every scalar quoted by PyYAML itself so that names like `on`, `null` or
`1e3` stay strings. The cluster file copies arbitrary user sections and goes through
PyYAML's dumper.
"""
from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Mapping, Sequence

import yaml

# libyaml's emitter where available: the same text, much faster on large files.
_FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_NO_WRAP = 1 << 30  # never fold long strings (reasons, URLs) over several lines


class _IndentedDumper(yaml.SafeDumper):
    """Sequences indented under their key (`include:\\n  - topics/*.yaml`), as people
    write them; PyYAML's default puts the dash at the key's column."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def scalar(value: object) -> str:
    """`value` as a YAML scalar, quoted only where YAML needs it."""
    return _scalar(type(value), value)


@lru_cache(maxsize=65536)
def _scalar(value_type: type, value: object) -> str:
    # The type is part of the cache key: 1, 1.0 and True are equal (and hash alike) in Python.
    text = yaml.dump(value, Dumper=_FAST_DUMPER, width=_NO_WRAP, allow_unicode=True)
    if text.endswith("\n...\n"):  # a bare scalar document ends with an explicit marker
        text = text[: -len("\n...\n")]
    return text.rstrip("\n")


def flow(value: Sequence[object] | Mapping[str, object]) -> str:
    """A short list or mapping on one line: `[compact, delete]`, `{file: x.avsc}`."""
    text = yaml.dump(value, Dumper=_FAST_DUMPER, default_flow_style=True, sort_keys=False, width=_NO_WRAP,
                     allow_unicode=True)
    return text.rstrip("\n")


def comment_block(lines: Sequence[str], width: int = 100) -> list[str]:
    """Each line as a `# ` comment, wrapped to `width` columns."""
    return [f"# {part}".rstrip() for line in lines
            for part in textwrap.wrap(line, width - 2, break_long_words=False, break_on_hyphens=False) or [""]]


def render_topic_file(header: Sequence[str], entries: Sequence[Mapping[str, object]],
                      subjects: Sequence[Mapping[str, str]] = ()) -> str:
    """A topic file. Each entry: name, partitions, replication_factor, config (key ->
    YAML value), schemas (role -> {file, compatibility?}); empty parts are left out.
    `subjects`: standalone subjects, each {subject, file, compatibility?}."""
    lines = comment_block(header)
    if lines:
        lines.append("")
    if not entries and not subjects:
        return "\n".join(lines + ["topics: []", ""])
    if entries:
        lines.append("topics:")
        for index, entry in enumerate(entries):
            if index:
                lines.append("")
            lines += _topic_lines(entry)
    if subjects:
        if entries:
            lines.append("")
        lines.append("subjects:")
        for subject in subjects:
            lines += _mapping_item_lines(subject)
    return "\n".join(lines) + "\n"


def _mapping_item_lines(item: Mapping[str, str]) -> list[str]:
    lines = [f"    {key}: {scalar(value)}" for key, value in item.items()]
    return ["  - " + lines[0].lstrip()] + lines[1:]


def _topic_lines(entry: Mapping[str, object]) -> list[str]:
    lines = [f"  - name: {scalar(entry['name'])}",
             f"    partitions: {scalar(entry['partitions'])}",
             f"    replication_factor: {scalar(entry['replication_factor'])}"]
    config = entry.get("config") or {}
    if config:
        lines.append("    config:")
        for key, value in config.items():  # type: ignore[union-attr]
            written = flow(value) if isinstance(value, list) else scalar(value)
            lines.append(f"      {scalar(key)}: {written}")
    schemas = entry.get("schemas") or {}
    if schemas:
        lines.append("    schemas:")
        for role, reference in schemas.items():  # type: ignore[union-attr]
            lines.append(f"      {role}: {flow(reference)}")
    return lines


def render_cluster_file(header: Sequence[str], sections: Sequence[tuple[Sequence[str], Mapping[str, object]]]) -> str:
    """A cluster file: a header comment, then each section (a one-key mapping, or a few
    keys) preceded by its own comment lines and a blank line."""
    parts = ["\n".join(comment_block(header))]
    for comments, section in sections:
        lines = comment_block(comments)
        if section:  # a section may be only a comment (what was left out, and why)
            lines.append(yaml.dump(dict(section), Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False,
                                   width=_NO_WRAP, allow_unicode=True).rstrip("\n"))
        parts.append("\n".join(lines))
    return "\n\n".join(part for part in parts if part) + "\n"
