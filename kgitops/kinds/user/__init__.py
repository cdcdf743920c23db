"""The user kind: SCRAM credentials (users: entries with mechanism, iterations and a
password from the environment), read with one DescribeUserScramCredentials and changed with
one AlterUserScramCredentials.

Passwords cannot be read back from Kafka: a user that is missing, or has another mechanism
or iteration count, is a change; a password change of an existing user is applied only when
asked (`plan`/`apply --rotate-passwords`). A plan says which it is and never holds a
password: actions keep the `${VAR}` placeholder, resolved only when apply sends it.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import ClassVar

from kgitops.desired.interpolate import PLACEHOLDER, resolve
from kgitops.errors import Problem
from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind, report_each
from kgitops.model import ClusterSpec, LiveState, Location
from kgitops.plan import Action

MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
DEFAULT_ITERATIONS = 8192
SECTIONS = {
    "users": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "password"],
        "properties": {"name": {"type": "string", "minLength": 1},
                       "mechanism": {"type": "string", "enum": list(MECHANISMS)},
                       "iterations": {"type": "integer", "minimum": 4096, "maximum": 16384},
                       "password": {"type": "string", "minLength": 1}}}},
    "owned_users": {"type": "array", "items": {"type": "string", "minLength": 1}},
}


@dataclass(frozen=True)
class UserSpec:
    name: str
    mechanism: str
    iterations: int
    password: str  # as written: a ${VAR} placeholder
    location: Location


@dataclass(frozen=True)
class DesiredUsers:
    users: tuple[UserSpec, ...] = ()
    owned_users: tuple[str, ...] = ()  # prefixes: undeclared live users with one are deleted
    rotate: bool = False  # --rotate-passwords: set every declared password again

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(u.name for u in self.users)

    def owns(self, name: str) -> bool:
        return name in self._names or any(name.startswith(p) for p in self.owned_users)


@dataclass(frozen=True)
class UserAction(Action):
    resource_type: ClassVar[str] = "user"
    user: str = ""
    mechanism: str = ""

    @property
    def resource(self) -> str:
        return self.user


@dataclass(frozen=True)
class SetScramCredential(UserAction):
    kind: ClassVar[str] = "set_scram_credential"
    iterations: int = DEFAULT_ITERATIONS
    password_setting: str = ""  # the placeholder, never the password
    source_file: str = ""
    why: str = ""  # "new user", "iterations 4096 -> 8192", "password rotation (--rotate-passwords)"
    new_user: bool = False

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "+" if self.new_user else "~"


@dataclass(frozen=True)
class DeleteScramCredential(UserAction):
    kind: ClassVar[str] = "delete_scram_credential"
    symbol: ClassVar[str] = "-"


def load(sections) -> tuple[DesiredUsers, list[Problem]]:
    users: list[UserSpec] = []
    owned: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, Location] = {}
    for section in sections:
        data = section.data if isinstance(section.data, list) else []
        if section.key == "owned_users":
            owned += [p for p in data if isinstance(p, str)]
            continue
        for index, entry in enumerate(data):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            location = section.document.value_location((section.key, index))
            name, password = entry["name"], str(entry.get("password", ""))
            if not PLACEHOLDER.fullmatch(password):
                where = section.document.value_location((section.key, index, "password"))
                problems.append(Problem(f"users[{index}] {name}: password must come from the environment: write "
                                        f"password: ${{VAR}}", where.file, where.line, where.column))
                continue
            if name in seen:
                problems.append(Problem(f"user {name} is declared twice (first at {seen[name]})", location.file,
                                        location.line, location.column))
                continue
            seen[name] = location
            users.append(UserSpec(name, entry.get("mechanism", "SCRAM-SHA-512"),
                                  int(entry.get("iterations", DEFAULT_ITERATIONS)), password, location))
    return DesiredUsers(tuple(users), tuple(owned)), problems


def diff_users(desired: DesiredUsers, live: dict[str, dict[str, int]]) -> KindDiff:
    """`live`: user -> {mechanism: iterations}."""
    actions: list[Action] = []
    for user in desired.users:
        have = live.get(user.name, {})
        iterations = have.get(user.mechanism)
        if iterations is None:
            why = "new user" if not have else f"no {user.mechanism} credential yet"
        elif iterations != user.iterations:
            why = f"iterations {iterations} -> {user.iterations} (the password is set again)"
        elif desired.rotate:
            why = "password rotation (--rotate-passwords)"
        else:
            continue
        risks = () if not have else (f"clients authenticating as {user.name} need the new password from now on; "
                                     f"connections already authenticated stay up until they reconnect",)
        actions.append(SetScramCredential(user=user.name, mechanism=user.mechanism, iterations=user.iterations,
                                          password_setting=user.password, source_file=user.location.file, why=why,
                                          new_user=not have, risks=risks))
        for other in sorted(set(have) - {user.mechanism}):
            actions.append(DeleteScramCredential(user=user.name, mechanism=other, risks=(
                f"clients authenticating as {user.name} with {other} fail (SASL authentication failed)",)))
    declared = {u.name for u in desired.users}
    for name in sorted(set(live) - declared):
        if desired.owns(name):
            for mechanism in sorted(live[name]):
                actions.append(DeleteScramCredential(user=name, mechanism=mechanism, risks=(
                    f"{name} can no longer authenticate with {mechanism}: its clients fail with SASL "
                    f"authentication failed",)))
    unmanaged = tuple(sorted(n for n in live if not desired.owns(n)))
    return KindDiff(actions=tuple(actions), unmanaged=unmanaged)


def _scram(mechanism: str):
    from confluent_kafka.admin import ScramMechanism

    return ScramMechanism.SCRAM_SHA_256 if mechanism == "SCRAM-SHA-256" else ScramMechanism.SCRAM_SHA_512


def _alter(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from confluent_kafka.admin import ScramCredentialInfo, UserScramCredentialDeletion, UserScramCredentialUpsertion

    from kgitops.live.kafka_errors import kafka_error_text

    alterations, failed = [], {}
    for a in actions:
        if isinstance(a, SetScramCredential):
            try:
                password = resolve(a.password_setting, setting=f"users.{a.user}.password", source=a.source_file)
            except Exception as err:  # a missing variable: this user only, and its message names it
                failed[id(a)] = getattr(err, "message", str(err))
                continue
            alterations.append((a, UserScramCredentialUpsertion(
                a.user, ScramCredentialInfo(_scram(a.mechanism), a.iterations), password.encode())))
        else:
            alterations.append((a, UserScramCredentialDeletion(a.user, _scram(a.mechanism))))
    errors: dict[int, str] = dict(failed)
    if alterations:
        # One request; its answer is per user, so an action's error is its user's.
        futures = context.clients.admin.alter_user_scram_credentials([alt for _, alt in alterations],
                                                                      request_timeout=context.settings.timeout)
        for action, _ in alterations:
            try:
                futures[action.user].result(timeout=context.settings.timeout + 5)
            except Exception as err:
                errors[id(action)] = kafka_error_text(err)
    return report_each(context, actions, lambda a: errors.get(id(a)))


def _desired(cluster: ClusterSpec) -> DesiredUsers:
    return cluster.resources.get("user") or DesiredUsers()  # type: ignore[return-value]


class UserKind(ResourceKind):
    name = "user"
    action_types = (SetScramCredential, DeleteScramCredential)
    desired_sections = SECTIONS
    # Users exist before the ACLs naming them matter (60); removed with the deletions.
    apply_steps = (ApplyStep(55, (SetScramCredential,), _alter),
                   ApplyStep(84, (DeleteScramCredential,), _alter, destructive=True))

    def load_desired(self, sections):
        return load(sections)

    def read_live(self, context: ReadContext) -> dict[str, dict[str, int]] | None:
        wanted = _desired(context.desired)
        if not wanted.users and not wanted.owned_users:
            return None
        context.requests["describe_user_scram_credentials"] = context.requests.get(
            "describe_user_scram_credentials", 0) + 1
        return read_credentials(context.clients.admin)

    def compare(self, desired: ClusterSpec, live: LiveState) -> KindDiff:
        if "user" not in live.by_kind:
            return KindDiff()
        return diff_users(_desired(desired), live.by_kind["user"])  # type: ignore[arg-type]

    def details(self, action: Action) -> list[str]:
        if isinstance(action, SetScramCredential):
            return [f"{action.mechanism}, {action.iterations} iterations, password from {action.password_setting} "
                    f"({action.why})"]
        return [f"{action.mechanism} credential removed"]  # type: ignore[attr-defined]

    def import_sections(self, clients) -> tuple[dict[str, object], list[str]]:
        from kgitops.errors import ConnectionFailed

        try:
            live = read_credentials(clients.admin)
        except ConnectionFailed as err:  # a cluster without SCRAM: nothing to import, and say why
            return {}, [f"SCRAM users not imported: {err.message}"]
        users = [{"name": name, "mechanism": mechanism, "iterations": iterations,
                  "password": f"${{{password_variable(name)}}}"}
                 for name in sorted(live) for mechanism, iterations in sorted(live[name].items())]
        if not users:
            return {}, []
        return {"users": users}, [f"{len(users)} SCRAM user(s) imported: passwords cannot be read back, so each "
                                  f"reads its password from an environment variable (KGITOPS_PASSWORD_<USER>) when "
                                  f"apply has to set it"]

    def live_fingerprint(self, desired: ClusterSpec, live: LiveState) -> object:
        users = live.by_kind.get("user") or {}
        return {u: sorted(m.items()) for u, m in sorted(users.items()) if _desired(desired).owns(u)}


def read_credentials(admin) -> dict[str, dict[str, int]]:
    """user -> {mechanism: iterations}, from one DescribeUserScramCredentials."""
    from kgitops.errors import ConnectionFailed
    from kgitops.live.connect import kafka_timeout
    from kgitops.live.kafka_errors import kafka_error_text

    timeout = kafka_timeout()
    try:
        described = admin.describe_user_scram_credentials(request_timeout=timeout).result(timeout=timeout + 5)
    except Exception as err:  # confluent-kafka raises KafkaException with the broker's error
        raise ConnectionFailed(f"reading the SCRAM users (DescribeUserScramCredentials) failed: "
                               f"{kafka_error_text(err)}") from err
    return {user: {info.mechanism.name.replace("_", "-"): info.iterations for info in description.scram_credential_infos}
            for user, description in described.items()}


def password_variable(user: str) -> str:
    """`KGITOPS_PASSWORD_ORDERS_SVC` for user `orders-svc`: where an imported user's password comes from."""
    return "KGITOPS_PASSWORD_" + "".join(c if c.isalnum() else "_" for c in user.upper())


def with_rotation(cluster: ClusterSpec) -> ClusterSpec:
    """`cluster` with every declared user's password set again (--rotate-passwords)."""
    users = _desired(cluster)
    return dataclasses.replace(cluster, resources={**cluster.resources, "user": dataclasses.replace(users, rotate=True)})


__all__ = ["UserKind", "with_rotation"]
