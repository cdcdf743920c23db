"""Connection settings (`kafka:` and `schema_registry:`) -> models, with their warnings.

Values are kept as written, `${VAR}` placeholders included: secrets are resolved only when
a command connects (kgitops.desired.interpolate.resolve). Here we only warn about what will
fail then (a variable that is not set) or should not be in Git (a literal secret). No
message ever shows a connection value.
"""
from __future__ import annotations

import os
from typing import Iterator, Mapping

from kgitops.desired.interpolate import NESTED, NESTED_MESSAGE, PLACEHOLDER, missing_variables, resolve
from kgitops.desired.yaml_nodes import PathPart, YamlDocument
from kgitops.errors import Problem
from kgitops.model import KafkaConnection, Location, RegistryConnection

# Settings whose values are credentials: by the last dotted word of their name
# (sasl.password, basic.password, bearer.token, sasl.oauthbearer.client.secret), or a
# known full name.
SECRET_WORDS = frozenset({"password", "secret", "token"})
SECRET_SUFFIXES = ("jaas.config", "ssl.key.pem", "ssl.keystore.key")


def kafka_connection(data: Mapping[str, object]) -> KafkaConnection | None:
    kafka = data.get("kafka")
    if not isinstance(kafka, dict):
        return None
    servers = kafka.get("bootstrap_servers")
    if isinstance(servers, list):
        servers = ",".join(s for s in servers if isinstance(s, str))
    if not isinstance(servers, str):
        return None
    properties = kafka.get("properties")
    props = {}
    if isinstance(properties, dict):
        props = {key: property_text(value) for key, value in properties.items() if value is not None}
    return KafkaConnection(bootstrap_servers=servers, properties=props)


def registry_connection(data: Mapping[str, object]) -> RegistryConnection | None:
    registry = data.get("schema_registry")
    if not isinstance(registry, dict) or not isinstance(registry.get("url"), str):
        return None
    auth = registry.get("auth") if isinstance(registry.get("auth"), dict) else {}
    basic = auth.get("basic") if isinstance(auth.get("basic"), dict) else {}
    bearer = auth.get("bearer") if isinstance(auth.get("bearer"), dict) else {}
    tls = registry.get("tls") if isinstance(registry.get("tls"), dict) else {}
    return RegistryConnection(
        url=registry["url"],
        basic_username=_text_or_none(basic.get("username")),
        basic_password=_text_or_none(basic.get("password")),
        bearer_token=_text_or_none(bearer.get("token")),
        tls_ca_file=_text_or_none(tls.get("ca_file")),
        tls_cert_file=_text_or_none(tls.get("cert_file")),
        tls_key_file=_text_or_none(tls.get("key_file")),
        tls_verify=tls.get("verify") is not False,
        mode=_text_or_none(registry.get("mode")),
    )


def property_text(value: object) -> str:
    """librdkafka wants strings; YAML gave us `true`, `3` or `0.5` as typed values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def connection_problems(document: YamlDocument, env: Mapping[str, str] | None = None) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about connection settings: broken placeholders are errors; unset
    variables and secrets written in the file are warnings."""
    env = os.environ if env is None else env
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for path, text in _connection_settings(document.data):
        setting = ".".join(str(p) for p in path)
        location = document.value_location(path)
        if NESTED.search(text):
            errors.append(_at(location, f"{setting}: {NESTED_MESSAGE}"))
        elif "${" in PLACEHOLDER.sub("", text):
            errors.append(_at(location, f"{setting}: malformed placeholder; write ${{VAR}} or ${{VAR:-default}}"))
        for name in missing_variables(text, env):
            warnings.append(
                _at(
                    location,
                    f"environment variable {name} is not set (needed by {setting}); "
                    "commands that connect will fail until it is exported",
                    severity="warning",
                )
            )
        if _is_secret_setting(path) and text and not PLACEHOLDER.search(text):
            warnings.append(
                _at(
                    location,
                    f"{setting} is written in the file; secrets belong in the environment: use ${{VAR}}",
                    severity="warning",
                )
            )
    for problem in kafka_property_problems(document, env):
        (errors if problem.severity == "error" else warnings).append(problem)
    return errors, warnings


def kafka_property_problems(document: YamlDocument, env: Mapping[str, str]) -> list[Problem]:
    """librdkafka's verdict on kafka.properties, offline, each at its line. A value whose
    variables are unset is checked for its name only. Unknown names and refused values are
    errors; a file librdkafka cannot load is not judged here (certificates often exist
    only where kgitops connects from, not where it validates): connecting reports it."""
    kafka = document.data.get("kafka") if isinstance(document.data, dict) else None
    properties = kafka.get("properties") if isinstance(kafka, dict) else None
    if not isinstance(properties, dict):
        return []
    from kgitops.live.client_properties import librdkafka_problems  # confluent-kafka: only with properties

    values: dict[str, str] = {}
    unresolved: list[str] = []
    for key, value in properties.items():
        text = property_text(value) if value is not None else ""
        if missing_variables(text, env) or "${" in PLACEHOLDER.sub("", text):
            unresolved.append(str(key))
        else:
            values[str(key)] = resolve(text, setting=f"kafka.properties.{key}", source=document.file, env=env)
    found_all = librdkafka_problems(values)
    if unresolved:
        # Without their values, how the settings combine cannot be judged: names only.
        found_all = [p for p in found_all if p.kind in ("unknown", "value")]
        found_all += [p for key in unresolved for p in librdkafka_problems({key: ""}) if p.kind == "unknown"]
    problems = []
    for found in (p for p in found_all if p.kind != "file"):
        path: list[PathPart] = ["kafka", "properties", found.key] if found.key in properties else ["kafka", "properties"]
        severity = "error" if found.kind in ("unknown", "value") else "warning"
        problems.append(_at(document.value_location(path), str(found), severity=severity))
    return problems


def _connection_settings(data: object) -> Iterator[tuple[list[PathPart], str]]:
    """(path, text) of every string under kafka: and schema_registry:."""
    if not isinstance(data, dict):
        return
    for section in ("kafka", "schema_registry"):
        yield from _strings(data.get(section), [section])


def _strings(value: object, path: list[PathPart]) -> Iterator[tuple[list[PathPart], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, [*path, index])


def _is_secret_setting(path: list[PathPart]) -> bool:
    name = str(path[-1]).lower()
    return name.rsplit(".", 1)[-1] in SECRET_WORDS or name.endswith(SECRET_SUFFIXES)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _at(location: Location, message: str, severity: str = "error") -> Problem:
    return Problem(message, location.file, location.line, location.column, severity=severity)
