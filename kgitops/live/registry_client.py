"""A client for the Confluent Schema Registry REST API (the reads a plan needs are in
kgitops.live.registry).

Only the Confluent API is spoken, so the same client works against Confluent Schema
Registry, Apicurio Registry's ccompat API (`/apis/ccompat/v7`), Karapace and Redpanda.
Where those registries answer differently the client absorbs it (see docs/compatibility.md,
"Registry differences"): callers see one behaviour.

One `httpx.Client` is shared by every call (and every thread: httpx's pool is thread-safe),
so concurrent reads reuse connections. Transient failures (connection errors, timeouts,
HTTP 5xx) are retried a bounded number of times with exponential backoff, in one place
(`RegistryClient._request`). Confluent error codes become typed errors a caller can catch
precisely, each with a message that names the subject and says what to do.

Credentials are resolved from the environment when the client is built and live only in
the httpx auth object: never in a message, a repr or a plan.
"""
from __future__ import annotations

import json
import logging
import math
import os
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable, Generator, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from kgitops.desired.interpolate import PLACEHOLDER, resolve
from kgitops.errors import ConnectionFailed, InputError, KgitopsError, Rejected
from kgitops.live.connect import DEFAULT_TIMEOUT_S
from kgitops.model import COMPATIBILITY_LEVELS, RegistryConnection
from kgitops.wording import plural

LOG = logging.getLogger("kgitops.registry")

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5"

# A schema's references as (name, subject, version), as the registry's API carries them.
References = tuple[tuple[str, str, int], ...]


def is_transitive(level: str | None) -> bool:
    return bool(level) and level.endswith("_TRANSITIVE")


DEFAULT_GLOBAL_LEVEL = "BACKWARD"  # Confluent's default when the registry reports none

# A registry that accepts connections and never answers must not hold a command for
# attempts x timeout: one call, retries included, ends after KGITOPS_REGISTRY_TIMEOUT, and
# all the calls of one client (one command) after KGITOPS_REGISTRY_DEADLINE.
TIMEOUT_ENV = "KGITOPS_REGISTRY_TIMEOUT"
DEADLINE_ENV = "KGITOPS_REGISTRY_DEADLINE"
DEFAULT_DEADLINE_S = 300.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BACKOFF_S = 0.2
MAX_BACKOFF_S = 3.0

# Confluent error codes (io.confluent.kafka.schemaregistry.rest.exceptions.Errors).
SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
SUBJECT_SOFT_DELETED = 40404
SUBJECT_NOT_SOFT_DELETED = 40405
VERSION_SOFT_DELETED = 40406
SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408
INCOMPATIBLE_SCHEMA_CODES = (409, 40901)  # 409 up to Confluent 7, 40901 since; Apicurio sends 409
INVALID_SCHEMA = 42201
INVALID_VERSION = 42202
INVALID_COMPATIBILITY_LEVEL = 42203
OPERATION_NOT_PERMITTED = 42205
REFERENCE_EXISTS = 42206
# 50001 store error, 50002 operation timed out, 50003 forwarding to the leader failed,
# 50004 unknown leader: all transient on a healthy cluster, so retried like any 5xx.

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class RegistryError(KgitopsError):
    """The registry answered with an error (or could not be reached).

    `status` is the HTTP status (None when no response came), `error_code` the Confluent
    error code from the body (None when the body had none), `subject` the subject the call
    was about, `registry_message` the registry's own words."""

    def __init__(self, message: str, *, status: int | None = None, error_code: int | None = None,
                 subject: str | None = None, registry_message: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.subject = subject
        self.registry_message = registry_message


class SubjectNotFound(RegistryError):
    """40401: the subject has no (undeleted) version."""


class SubjectSoftDeleted(SubjectNotFound):
    """40404: the subject was soft-deleted (a permanent delete is the only thing left to do)."""


class VersionNotFound(RegistryError):
    """40402 (or 40406, soft-deleted): the subject has no such version."""


class SchemaNotFound(RegistryError):
    """40403: no schema with that id, or the schema is not registered under the subject."""


class IncompatibleSchema(RegistryError, Rejected):
    """409 / 40901: the registry refused a schema its compatibility level forbids (exit 3)."""


class InvalidSchema(RegistryError, InputError):
    """42201: the registry could not parse the schema."""


class InvalidCompatibilityLevel(RegistryError, InputError):
    """42203: not a level the registry knows."""


class RegistryAuthFailed(RegistryError):
    """401 / 403: the credentials were refused or lack the permission."""


class RegistryTlsFailed(RegistryError):
    """The TLS handshake failed (an untrusted certificate, say): not transient, not retried."""


class RegistryUnavailable(RegistryError, ConnectionFailed):
    """No usable answer after every attempt: connection refused, timeout, or HTTP 5xx."""


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaVersion:
    """One registered version of a subject, as the registry returns it (re-serialised)."""

    subject: str
    version: int
    id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class CompatibilityResult:
    is_compatible: bool
    messages: tuple[str, ...] = ()  # Confluent explains with verbose=true; Apicurio says nothing


# ---------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>`; the token never appears in a repr."""

    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


class BasicAuth(httpx.BasicAuth):
    def __repr__(self) -> str:
        return "BasicAuth(username=***, password=***)"


def auth_from_connection(conn: RegistryConnection, source: str) -> httpx.Auth | None:
    """The auth a connection declares, `${VAR}` placeholders resolved from the environment
    (a missing variable is an InputError naming it and the setting)."""
    if conn.bearer_token is not None:
        token = resolve(conn.bearer_token, setting="schema_registry.auth.bearer.token", source=source)
        return BearerAuth(token)
    if conn.basic_username is not None or conn.basic_password is not None:
        username = resolve(conn.basic_username or "", setting="schema_registry.auth.basic.username", source=source)
        password = resolve(conn.basic_password or "", setting="schema_registry.auth.basic.password", source=source)
        return BasicAuth(username, password)
    return None


def url_for_display(url: str) -> str:
    """The URL without user info or query (either may hold a secret)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # e.g. an unclosed IPv6 bracket or a bad port: show nothing that may be secret
        return "<unparseable URL>"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------


def _path(*segments: str | int) -> str:
    # Subject names may hold "/", ":" or spaces: each path segment is percent-encoded.
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


class RegistryClient:
    """The Confluent Schema Registry REST API, one method per endpoint kgitops uses."""

    def __init__(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        timeout: float | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF_S,
        max_connections: int = 32,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
        transport: httpx.BaseTransport | None = None,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        verify: ssl.SSLContext | bool = True,
        display_url: str | None = None,
        settings_in: str = "the cluster file",
    ):
        """`timeout`: the most one call may take, all its attempts included (each attempt
        gets what is left); `deadline`: the most all calls of this client may take,
        counted from now. Defaults come from KGITOPS_REGISTRY_TIMEOUT and
        KGITOPS_REGISTRY_DEADLINE."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        timeout = seconds_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT_S) if timeout is None else timeout
        deadline = seconds_from_env(DEADLINE_ENV, DEFAULT_DEADLINE_S) if deadline is None else deadline
        self.url = display_url or url_for_display(url)
        self.settings_in = settings_in  # where the connection settings are declared, for messages
        self.credential_variables: tuple[str, ...] = ()  # the environment variables auth comes from
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._clock = clock
        self._deadline_at = clock() + deadline
        self._deadline = deadline
        # (seconds, "METHOD /path") of the slowest request so far, retries included, so a
        # command can say which call made it slow.
        self.slowest: tuple[float, str] | None = None
        self._auth_kind = type(auth).__name__ if auth is not None else "none"
        try:
            self._http = httpx.Client(
                base_url=url.rstrip("/"),
                auth=auth,
                headers={"Accept": ACCEPT},
                timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
                limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
                event_hooks=dict(event_hooks or {}),
                transport=transport,
                verify=verify,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
            raise self._unusable_url() from err

    @classmethod
    def from_connection(cls, conn: RegistryConnection, source: str, **options: Any) -> "RegistryClient":
        """A client for a cluster file's `schema_registry`, placeholders resolved from the
        environment now (`source` is the cluster file, named in errors)."""
        from kgitops.live.registry_tls import ssl_context

        url = resolve(conn.url, setting="schema_registry.url", source=source)
        options.setdefault("verify", ssl_context(conn, source))
        variables = tuple(m.group(1) for text in (conn.basic_username, conn.basic_password, conn.bearer_token)
                          if text for m in PLACEHOLDER.finditer(text))
        client = cls(url, auth=auth_from_connection(conn, source), display_url=display_url(conn.url, url),
                     settings_in=source, **options)
        client.credential_variables = variables
        return client

    def _unusable_url(self) -> InputError:
        # httpx's reason can quote the URL's parts (a port, a host): never shown, it may be a secret.
        return InputError(f"schema_registry.url ({self.url}) in {self.settings_in} is not a usable URL; "
                          f"expected e.g. https://registry:8081")

    def __repr__(self) -> str:
        return f"RegistryClient(url={self.url!r}, auth={self._auth_kind})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "RegistryClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- subjects and versions ---------------------------------------------------------

    def list_subjects(self, deleted: bool = False) -> list[str]:
        """GET /subjects. Apicurio stops at `apicurio.ccompat.max-subjects` (1000 by default)."""
        params = {"deleted": "true"} if deleted else None
        return list(self._request("GET", "/subjects", params=params, doing="listing subjects"))

    def list_versions(self, subject: str) -> list[int]:
        """GET /subjects/{subject}/versions: undeleted versions, oldest first."""
        versions = self._request("GET", _path("subjects", subject, "versions"), subject=subject,
                                 doing=f"listing the versions of subject {subject!r}")
        return sorted(int(v) for v in versions)

    def get_version(self, subject: str, version: int | str = "latest") -> SchemaVersion:
        """GET /subjects/{subject}/versions/{version}."""
        body = self._request("GET", _path("subjects", subject, "versions", version), subject=subject,
                             doing=f"reading version {version} of subject {subject!r}")
        return _schema_version(body, subject)

    def get_schema_by_id(self, schema_id: int) -> str:
        """GET /schemas/ids/{id}: the schema text."""
        body = self._request("GET", _path("schemas", "ids", schema_id), doing=f"reading schema id {schema_id}")
        return body["schema"]

    def lookup(self, subject: str, schema: str, schema_type: str = "AVRO",
               references: References = ()) -> SchemaVersion | None:
        """POST /subjects/{subject}: the version under which the registry already holds
        `schema` (by its own notion of "same schema"), or None."""
        try:
            body = self._request("POST", _path("subjects", subject), body=_schema_body(schema, schema_type, references),
                                 subject=subject, doing=f"looking up a schema under subject {subject!r}")
        except (SubjectNotFound, SchemaNotFound):
            return None
        return _schema_version(body, subject)

    def register(self, subject: str, schema: str, schema_type: str = "AVRO", references: References = ()) -> int:
        """POST /subjects/{subject}/versions: the schema id. A schema already registered
        under the subject returns its id and makes no new version (Confluent and Apicurio)."""
        body = self._request("POST", _path("subjects", subject, "versions"),
                             body=_schema_body(schema, schema_type, references),
                             subject=subject, doing=f"registering a schema under subject {subject!r}")
        return int(body["id"])

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        """DELETE /subjects/{subject} (soft unless `permanent`, which needs a soft delete first):
        the versions deleted."""
        params = {"permanent": "true"} if permanent else None
        versions = self._request("DELETE", _path("subjects", subject), params=params, subject=subject,
                                 doing=f"deleting subject {subject!r}")
        return sorted(int(v) for v in versions)

    # -- compatibility ---------------------------------------------------------------

    def test_compatibility(self, subject: str, schema: str, version: int | str | None = "latest",
                           verbose: bool = True, schema_type: str = "AVRO",
                           references: References = ()) -> tuple[bool, list[str]]:
        """POST /compatibility/subjects/{subject}/versions/{version}: (compatible, messages).

        `version=None` posts to /compatibility/subjects/{subject}/versions, which Confluent
        checks against the versions the subject's level requires (all of them when
        transitive) and Apicurio against every version whatever the level. A subject with
        no versions has nothing to be incompatible with: compatible. With `verbose`, a
        schema the registry cannot check is (False, [its reason]), as Confluent answers."""
        segments: tuple[str | int, ...] = ("compatibility", "subjects", subject, "versions")
        if version is not None:
            segments += (version,)
        try:
            body = self._request("POST", _path(*segments), body=_schema_body(schema, schema_type, references),
                                 params={"verbose": "true"} if verbose else None, subject=subject,
                                 doing=f"testing a schema's compatibility with subject {subject!r}")
        except SubjectNotFound:
            return True, []
        except VersionNotFound:
            if version in ("latest", -1, None):  # every version soft-deleted
                return True, []
            raise
        except InvalidSchema as err:
            # Confluent, asked verbosely, reports a schema it cannot check (e.g. a reader field
            # whose aliases match two writer fields) as incompatible with the reason;
            # Apicurio answers 42201. One behaviour for callers: Confluent's.
            if verbose:
                return False, [err.registry_message or err.message]
            raise
        messages = body.get("messages") or []
        return bool(body.get("is_compatible")), [str(m) for m in messages]

    def get_global_config(self) -> str:
        """GET /config: the global compatibility level."""
        body = self._request("GET", "/config", doing="reading the global compatibility level")
        return _level_of(body) or DEFAULT_GLOBAL_LEVEL

    def get_subject_config(self, subject: str) -> str | None:
        """GET /config/{subject}?defaultToGlobal=false: the subject's own level, None if unset.

        Confluent answers 40408 for an unset level. Apicurio ignores defaultToGlobal: an
        unset level reads as the global rule (NONE when the registry has none), so on
        Apicurio this returns the level the subject is checked with; 40401 only for a
        subject with neither versions nor a level."""
        try:
            body = self._request("GET", _path("config", subject), params={"defaultToGlobal": "false"},
                                 subject=subject, doing=f"reading the compatibility level of subject {subject!r}")
        except SubjectNotFound:
            return None
        except RegistryError as err:
            if err.error_code == SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED:
                return None
            raise
        return _level_of(body)

    def set_subject_config(self, subject: str, level: str) -> str:
        """PUT /config/{subject}: the level now set (works before the subject's first version)."""
        body = self._request("PUT", _path("config", subject), body={"compatibility": level}, subject=subject,
                             doing=f"setting the compatibility level of subject {subject!r} to {level}")
        return _level_of(body) or level

    # -- modes -----------------------------------------------------------------------

    def get_mode(self, subject: str | None = None) -> str:
        """GET /mode or /mode/{subject}: READWRITE, READONLY or IMPORT."""
        path = "/mode" if subject is None else _path("mode", subject)
        # A subject without a mode of its own reads the global one (Confluent needs asking).
        params = None if subject is None else {"defaultToGlobal": "true"}
        body = self._request("GET", path, subject=subject, params=params,
                             doing=f"reading the mode of {'the registry' if subject is None else 'subject ' + repr(subject)}")
        return str(body.get("mode") or "READWRITE").upper() if isinstance(body, dict) else "READWRITE"

    def set_mode(self, mode: str, subject: str | None = None) -> str:
        """PUT /mode or /mode/{subject}: the mode now set."""
        path = "/mode" if subject is None else _path("mode", subject)
        body = self._request("PUT", path, body={"mode": mode}, subject=subject,
                             doing=f"setting the mode of {'the registry' if subject is None else 'subject ' + repr(subject)} "
                                   f"to {mode}")
        return str(body.get("mode") or mode).upper() if isinstance(body, dict) else mode

    # -- transport -----------------------------------------------------------------

    def _request(self, method: str, path: str, *, doing: str, subject: str | None = None,
                 body: Any = None, params: Mapping[str, str] | None = None) -> Any:
        """Send with bounded retries on connection errors, timeouts and 5xx; decode JSON or
        raise the typed error for the registry's answer."""
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": CONTENT_TYPE} if body is not None else None
        started = time.monotonic()
        try:
            return self._attempts(method, path, doing=doing, subject=subject, content=content, headers=headers,
                                  params=params)
        finally:
            took = time.monotonic() - started
            if self.slowest is None or took > self.slowest[0]:
                self.slowest = (took, f"{method} {path}")

    def _attempts(self, method: str, path: str, *, doing: str, subject: str | None, content: bytes | None,
                  headers: Mapping[str, str] | None, params: Mapping[str, str] | None) -> Any:
        last_failure = ""
        started = self._clock()
        call_ends = min(started + self.timeout, self._deadline_at)
        attempts = 0
        for attempt in range(1, self.max_attempts + 1):
            remaining = call_ends - self._clock()
            if remaining <= 0:
                break
            attempts = attempt
            timeout = httpx.Timeout(remaining, connect=min(self.connect_timeout, remaining))
            try:
                response = self._http.request(method, path, content=content, headers=headers, params=params,
                                              timeout=timeout)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as err:
                raise self._unusable_url() from err
            except httpx.TransportError as err:  # refused, reset, timed out, proxy: maybe transient
                tls = _tls_failure(err)
                if tls is not None:
                    raise self._tls_error(tls, doing, subject) from err
                last_failure = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
                retry_after = None
            except httpx.RequestError as err:  # redirect loops, undecodable bodies: not transient
                raise RegistryError(f"{doing}: the request to the schema registry at {self.url} failed "
                                    f"({type(err).__name__}: {err})", subject=subject) from err
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return self._decode(response, doing=doing, subject=subject)
                last_failure = _describe(response)
                retry_after = _retry_after(response)
            if attempt < self.max_attempts:
                delay = min(self._delay(attempt, retry_after), max(0.0, call_ends - self._clock()))
                LOG.debug("registry %s %s failed (%s); attempt %d of %d in %.2fs",
                          method, path, last_failure, attempt + 1, self.max_attempts, delay)
                time.sleep(delay)
        elapsed = self._clock() - started
        limit = self._limit_reached(started)
        if not last_failure:
            last_failure = "no attempt made"
        raise RegistryUnavailable(
            f"the schema registry at {self.url} did not answer usefully while {doing} "
            f"({method} {path}: {last_failure}; {plural(attempts, 'attempt')} in {elapsed:.1f} s{limit}); "
            f"check schema_registry.url and that the registry is running and reachable, then retry",
            subject=subject, registry_message=last_failure,
        )

    def _limit_reached(self, started: float) -> str:
        """Which limit ended the call, to say so (and which variable raises it)."""
        now = self._clock()
        if now >= self._deadline_at:
            return f"; stopped at the {self._deadline:g} s limit for all registry calls of this command ({DEADLINE_ENV})"
        if now >= started + self.timeout:
            return f"; stopped at the {self.timeout:g} s limit for one call ({TIMEOUT_ENV})"
        return ""

    def _tls_error(self, failure: ssl.SSLError, doing: str, subject: str | None) -> "RegistryTlsFailed":
        reason = getattr(failure, "verify_message", None) or getattr(failure, "reason", None) or type(failure).__name__
        if isinstance(failure, ssl.SSLCertVerificationError):
            advice = (f"set schema_registry.tls.ca_file in {self.settings_in} to the PEM file of the CA that signed "
                      f"the registry's certificate")
        else:
            advice = (f"check schema_registry.tls in {self.settings_in} (a client certificate, cert_file and "
                      f"key_file, if the registry requires one) and that the URL is https:// to a TLS port")
        return RegistryTlsFailed(f"{doing}: the TLS handshake with the schema registry at {self.url} failed "
                                 f"({reason}); {advice}. Not retried: this is not transient.", subject=subject)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Exponential backoff with jitter, so concurrent readers do not retry in lockstep.
        delay = min(MAX_BACKOFF_S, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)
        return min(MAX_BACKOFF_S, max(delay, retry_after or 0.0))

    def _decode(self, response: httpx.Response, *, doing: str, subject: str | None) -> Any:
        body = _json_or_none(response)
        if response.is_success:
            if body is None:
                raise RegistryError(
                    f"the service at {self.url} answered {doing} with something that is not a Schema "
                    f"Registry response (HTTP {response.status_code}, not JSON); check schema_registry.url",
                    status=response.status_code, subject=subject)
            return body
        raise self._error(response, body, doing=doing, subject=subject)

    def _error(self, response: httpx.Response, body: Any, *, doing: str, subject: str | None) -> RegistryError:
        status = response.status_code
        if status in (401, 403):
            return self._auth_error(status, doing, subject)
        if not isinstance(body, dict) or "error_code" not in body:
            hint = (" (Apicurio serves the Confluent API under /apis/ccompat/v7)" if status == 404 else "")
            kind = RegistryError
            return kind(f"the service at {self.url} answered HTTP {status} while {doing}, without a Schema "
                        f"Registry error body; check schema_registry.url{hint}", status=status, subject=subject)
        code = _int_or_none(body.get("error_code"))
        said = str(body.get("message") or "").strip()
        kind, advice = _classify(status, code, subject)
        return kind(f"{doing}: the schema registry at {self.url} answered {said or 'with no message'!r} "
                    f"(HTTP {status}, error {code}){advice}",
                    status=status, error_code=code, subject=subject, registry_message=said)

    def _auth_error(self, status: int, doing: str, subject: str | None) -> RegistryAuthFailed:
        if self._auth_kind == "none":
            advice = f"the registry wants credentials: add schema_registry.auth (basic or bearer) to {self.settings_in}"
        elif status == 401:
            names = ", ".join(self.credential_variables) or "none: they are written in the file"
            advice = (f"the registry refused the credentials: check schema_registry.auth in {self.settings_in} and "
                      f"the environment variables it names ({names})")
        else:
            advice = ("the credentials were accepted but may not do this: grant the account that permission in "
                      "the registry")
        return RegistryAuthFailed(f"{doing}: the schema registry at {self.url} answered HTTP {status}; {advice}",
                                  status=status, subject=subject)


def display_url(written: str, resolved: str) -> str:
    """The URL as it may be shown: the resolved one without user info and query when it is
    a real http(s) URL, else the URL as written (a value from the environment that is not a
    URL may be a secret put there by mistake)."""
    try:
        parts = urlsplit(resolved)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:
        usable = False
    return url_for_display(resolved) if usable else written


def _tls_failure(err: BaseException) -> ssl.SSLError | None:
    """The ssl error behind an httpx transport error, if TLS is what failed."""
    seen: BaseException | None = err
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _classify(status: int, code: int | None, subject: str | None) -> tuple[type[RegistryError], str]:
    """The error class for a Confluent error code, and what the user can do about it."""
    named = f"subject {subject!r}" if subject else "the subject"
    if code == SUBJECT_SOFT_DELETED:
        return SubjectSoftDeleted, f"; {named} was soft-deleted"
    if code == SUBJECT_NOT_FOUND:
        return SubjectNotFound, (f"; {named} has no registered version: check the name (TopicNameStrategy "
                                 f"subjects are <topic>-value and <topic>-key) or register it with kgitops apply")
    if code in (VERSION_NOT_FOUND, VERSION_SOFT_DELETED):
        return VersionNotFound, f"; list the versions of {named} to see which exist"
    if code == SCHEMA_NOT_FOUND:
        return SchemaNotFound, ""
    if code in INCOMPATIBLE_SCHEMA_CODES or (status == 409 and code is None):
        return IncompatibleSchema, (f"; the new schema breaks the compatibility level of {named}: make the "
                                    f"change compatible (kgitops compat shows why) or change the level deliberately")
    if code == INVALID_SCHEMA:
        return InvalidSchema, "; fix the schema file (kgitops validate reports Avro errors locally)"
    if code == INVALID_COMPATIBILITY_LEVEL:
        return InvalidCompatibilityLevel, f"; use one of {', '.join(COMPATIBILITY_LEVELS)}"
    if code == OPERATION_NOT_PERMITTED:
        return RegistryError, "; the registry (or the subject) may be in READONLY or IMPORT mode"
    if code == SUBJECT_NOT_SOFT_DELETED:
        return RegistryError, f"; soft-delete {named} before deleting it permanently"
    if status in (401, 403) or code in (401, 403, 40101, 40301, 40302, 40303):
        return RegistryAuthFailed, ("; check schema_registry.auth in the cluster file and the environment "
                                    "variables it names, and the account's permissions")
    return RegistryError, ""


def _schema_body(schema: str, schema_type: str, references: References = ()) -> dict[str, Any]:
    # Confluent treats a missing schemaType as AVRO; some older registries reject the key.
    body: dict[str, Any] = {"schema": schema} if schema_type == "AVRO" else {"schema": schema, "schemaType": schema_type}
    if references:
        body["references"] = [{"name": n, "subject": s, "version": v} for n, s, v in references]
    return body


def _schema_version(body: Mapping[str, Any], subject: str) -> SchemaVersion:
    return SchemaVersion(
        subject=str(body.get("subject", subject)),
        version=int(body["version"]),
        id=int(body["id"]),
        schema=str(body["schema"]),
        schema_type=str(body.get("schemaType") or "AVRO"),
        references=tuple(body.get("references") or ()),
    )


def _level_of(body: Any) -> str | None:
    # GET answers {"compatibilityLevel": ...}; PUT answers {"compatibility": ...}.
    if not isinstance(body, dict):
        return None
    level = body.get("compatibilityLevel") or body.get("compatibility")
    return str(level).upper() if level else None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _describe(response: httpx.Response) -> str:
    body = _json_or_none(response)
    if isinstance(body, dict) and body.get("error_code") is not None:
        return f"HTTP {response.status_code}, error {body.get('error_code')}: {body.get('message', '')}"
    return f"HTTP {response.status_code}"


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment; anything else is an input error
    naming the variable (never an internal error)."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number of seconds, not {text.strip()[:20]!r}")
    return value


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
