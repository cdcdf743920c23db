"""TLS settings of the registry connection (`schema_registry.tls`) -> an ssl.SSLContext.

Paths may come from the environment; an error names the setting and the cluster file,
and shows a path only as written there (a placeholder stays a placeholder).
"""
from __future__ import annotations

import ssl

from kgitops.desired.interpolate import resolve
from kgitops.errors import InputError, Problem
from kgitops.model import RegistryConnection


def ssl_context(conn: RegistryConnection, source: str) -> ssl.SSLContext | bool:
    """What httpx's `verify` takes: True (the system's CAs) when nothing is set."""
    if conn.tls_ca_file is None and conn.tls_cert_file is None and conn.tls_verify:
        return True
    context = ssl.create_default_context()
    if conn.tls_ca_file is not None:
        _load(conn.tls_ca_file, "ca_file", source, lambda path: context.load_verify_locations(cafile=path))
    if conn.tls_cert_file is not None and conn.tls_key_file is not None:
        key_file = resolve(conn.tls_key_file, setting="schema_registry.tls.key_file", source=source)
        _load(conn.tls_cert_file, "cert_file and key_file", source,
              lambda path: context.load_cert_chain(certfile=path, keyfile=key_file))
    if not conn.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _load(written: str, setting: str, source: str, load) -> None:
    path = resolve(written, setting=f"schema_registry.tls.{setting.split()[0]}", source=source)
    try:
        load(path)
    except (OSError, ssl.SSLError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        message = (f"schema_registry.tls.{setting} ({written}): cannot be loaded as PEM ({reason}); "
                   f"give the path of a readable PEM file")
        raise InputError(f"{source}: {message}", [Problem(message, file=source)]) from err
