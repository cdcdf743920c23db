"""The secured local stack (`kgitops dev up --secure`): the same KRaft controller, 3 brokers
and Apicurio as the plaintext stack, with the security a production cluster has, on ports
and a state directory of its own so both stacks can run side by side.

- brokers: a SASL_SSL listener (SCRAM-SHA-512, users created when the storage is formatted
  with `kafka.tools.StorageTool format --add-scram`) and an SSL listener that requires a
  client certificate (mutual TLS, the principal is the certificate's CN); between brokers
  and to the controller, TLS with the brokers' own certificate;
- the KRaft StandardAuthorizer with allow.everyone.if.no.acl.found=false: only the super
  user `admin` (and the brokers) may do anything without an ACL;
- the users `kgitops` (SCRAM) and `kgitops-mtls` (certificate) hold exactly the ACLs README
  documents (kgitops.live.permissions) for every topic; `noacl` holds none;
- the registry only over HTTPS with basic auth, through nginx; Apicurio itself listens on
  loopback behind it.

Ports, from the plaintext stack's base ports B (brokers) and R (registry):
SASL_SSL B+300.., mutual TLS B+310.., between brokers B+320.., controller B+400,
registry HTTPS R+300 (Apicurio R+301, its management R+302).
"""
from __future__ import annotations

import json
import secrets
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from kgitops.devstack import certs, jars, nginx, processes
from kgitops.devstack import stack
from kgitops.devstack import versions as v
from kgitops.devstack.java import find_java
from kgitops.errors import KgitopsError

PORT_OFFSET = 300
MTLS_OFFSET = 10
INTERNAL_OFFSET = 20
SCRAM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
KGITOPS_USER = "kgitops"
NO_ACL_USER = "noacl"
REGISTRY_USER = "kgitops"
KAFKA_USERS = (ADMIN_USER, KGITOPS_USER, NO_ACL_USER)


@dataclass(frozen=True)
class SecureLayout:
    kafka: stack.StackLayout  # its broker ports are the SASL_SSL ones, its registry port Apicurio's
    https_port: int

    @classmethod
    def from_settings(cls, state_dir: str | None = None, base_port: int | None = None,
                      registry_port: int | None = None) -> "SecureLayout":
        plain = stack.StackLayout.from_settings(None, base_port, registry_port)
        directory = Path(state_dir) if state_dir else Path(f"{plain.state_dir}-secure")
        kafka = stack.StackLayout(directory, plain.base_port + PORT_OFFSET, plain.registry_port + PORT_OFFSET + 1)
        return cls(kafka, plain.registry_port + PORT_OFFSET)

    @property
    def state_dir(self) -> Path:
        return self.kafka.state_dir

    def sasl_port(self, node: int) -> int:
        return self.kafka.broker_port(node)

    def mtls_port(self, node: int) -> int:
        return self.kafka.broker_port(node) + MTLS_OFFSET

    def internal_port(self, node: int) -> int:
        return self.kafka.broker_port(node) + INTERNAL_OFFSET

    @property
    def sasl_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.sasl_port(n)}" for n in self.kafka.node_ids())

    @property
    def mtls_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.mtls_port(n)}" for n in self.kafka.node_ids())

    @property
    def registry_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}{v.CCOMPAT_PATH}"

    @property
    def tls(self) -> certs.TlsFiles:
        return certs.TlsFiles(self.state_dir / "tls")

    @property
    def nginx_dir(self) -> Path:
        return self.state_dir / "nginx"

    @property
    def credentials_file(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def env_file(self) -> Path:
        return self.state_dir / "env.sh"

    def all_ports(self) -> list[int]:
        nodes = self.kafka.node_ids()
        return [*(self.sasl_port(n) for n in nodes), *(self.mtls_port(n) for n in nodes),
                *(self.internal_port(n) for n in nodes), self.kafka.controller_port, self.https_port,
                self.kafka.registry_port, self.kafka.registry_port + 1]


@dataclass(frozen=True)
class Credentials:
    kafka: dict[str, str]  # SCRAM user -> password
    registry: dict[str, str]  # basic-auth user -> password

    @classmethod
    def load(cls, path: Path) -> "Credentials":
        data = json.loads(path.read_text())
        return cls(dict(data["kafka"]), dict(data["registry"]))

    @classmethod
    def generate(cls) -> "Credentials":
        # Hex only: StorageTool's --add-scram syntax cannot quote "," "]" or "=".
        return cls({user: secrets.token_hex(16) for user in KAFKA_USERS}, {REGISTRY_USER: secrets.token_hex(16)})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({"kafka": self.kafka, "registry": self.registry}, indent=2))


def credentials(layout: SecureLayout) -> Credentials:
    return Credentials.load(layout.credentials_file)


def admin_client_config(layout: SecureLayout, user: str = ADMIN_USER) -> dict[str, object]:
    """librdkafka settings for a SCRAM user over SASL_SSL."""
    return {"bootstrap.servers": layout.sasl_bootstrap, "security.protocol": "SASL_SSL", "sasl.mechanism": SCRAM,
            "sasl.username": user, "sasl.password": credentials(layout).kafka[user],
            "ssl.ca.location": str(layout.tls.ca_cert)}


def mtls_client_config(layout: SecureLayout) -> dict[str, object]:
    """librdkafka settings for the mutual-TLS client certificate (User:kgitops-mtls)."""
    tls = layout.tls
    return {"bootstrap.servers": layout.mtls_bootstrap, "security.protocol": "SSL",
            "ssl.ca.location": str(tls.ca_cert), "ssl.certificate.location": str(tls.client_cert),
            "ssl.key.location": str(tls.client_key)}


# --------------------------------------------------------------------------- Kafka nodes


def _security_properties(layout: SecureLayout) -> list[str]:
    tls = layout.tls
    return [
        f"controller.quorum.voters={stack.CONTROLLER_ID}@127.0.0.1:{layout.kafka.controller_port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL",
        "ssl.keystore.type=PEM",
        f"ssl.keystore.location={tls.server_keystore}",
        "ssl.truststore.type=PEM",
        f"ssl.truststore.location={tls.ca_cert}",
        # Every TLS listener wants a client certificate, except the SASL one (below).
        "ssl.client.auth=required",
        # The principal of a certificate is its CN: User:kgitops-mtls, User:kgitops-broker.
        "ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        f"super.users=User:{ADMIN_USER};User:{certs.SERVER_CN}",
    ]


# The plaintext stack's lines that the secured profile replaces with its own.
REPLACED = ("listeners=", "advertised.listeners=", "inter.broker.listener.name=", "controller.",
            "listener.security.protocol.map=")


def _secured(plain: str, header: str, own: list[str], layout: SecureLayout) -> str:
    """The plaintext stack's properties with its listeners and security replaced."""
    kept = [line for line in plain.splitlines()[1:] if not line.startswith(REPLACED)]
    return "\n".join([header, *_security_properties(layout), *own, *kept])


def controller_properties(layout: SecureLayout) -> str:
    return _secured(stack.controller_properties(layout.kafka),
                    "# Generated by kgitops dev --secure: the KRaft controller of the secured stack.",
                    [f"listeners=CONTROLLER://127.0.0.1:{layout.kafka.controller_port}"], layout)


def node_properties(layout: SecureLayout, node: int) -> str:
    listeners = (f"SASL_SSL://127.0.0.1:{layout.sasl_port(node)},SSL://127.0.0.1:{layout.mtls_port(node)},"
                 f"INTERNAL://127.0.0.1:{layout.internal_port(node)}")
    return _secured(stack.node_properties(layout.kafka, node),
                    "# Generated by kgitops dev --secure: one broker of the secured stack.", [
                        f"listeners={listeners}",
                        f"advertised.listeners={listeners}",
                        "inter.broker.listener.name=INTERNAL",
                        "listener.name.sasl_ssl.ssl.client.auth=none",
                        f"listener.name.sasl_ssl.sasl.enabled.mechanisms={SCRAM}",
                        f"listener.name.sasl_ssl.{SCRAM.lower()}.sasl.jaas.config="
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                    ], layout)


def _scram_format_args(creds: Credentials) -> tuple[str, ...]:
    args: list[str] = []
    for user, password in creds.kafka.items():
        args += ["--add-scram", f"{SCRAM}=[name={user},password={password}]"]
    return tuple(args)


# --------------------------------------------------------------------------- health


def broker_count(layout: SecureLayout, timeout: float = 5.0) -> tuple[int, str | None]:
    return stack.live_broker_count(layout.kafka, timeout, client_config=admin_client_config(layout))


def registry_answers(layout: SecureLayout, timeout: float = 3.0) -> bool:
    user, password = next(iter(credentials(layout).registry.items()))
    try:
        response = httpx.get(f"{layout.registry_url}/subjects", timeout=timeout, verify=trust(layout),
                             auth=(user, password))
        return response.status_code == 200
    except httpx.HTTPError:
        return False


def trust(layout: SecureLayout) -> ssl.SSLContext:
    """An SSL context trusting the stack's CA (what httpx's verify= takes)."""
    return ssl.create_default_context(cafile=str(layout.tls.ca_cert))


@dataclass
class SecureStatus:
    base: stack.StackStatus
    layout: SecureLayout
    nginx_pid: int | None

    @property
    def healthy(self) -> bool:
        return self.base.healthy and self.nginx_pid is not None

    def endpoints(self) -> dict[str, object]:
        tls = self.layout.tls
        return {
            "sasl_ssl_bootstrap_servers": self.layout.sasl_bootstrap,
            "mtls_bootstrap_servers": self.layout.mtls_bootstrap,
            "schema_registry_url": self.layout.registry_url,
            "sasl_mechanism": SCRAM,
            "ca_file": str(tls.ca_cert),
            "client_certificate": str(tls.client_cert),
            "client_key": str(tls.client_key),
            "credentials_file": str(self.layout.credentials_file),
            "env_file": str(self.layout.env_file),
            "kafka_users": list(KAFKA_USERS),
            "registry_user": REGISTRY_USER,
        }

    def to_dict(self) -> dict:
        return {**self.base.to_dict(), "healthy": self.healthy, "secure": self.endpoints(),
                "nginx": {"pid": self.nginx_pid, "port": self.layout.https_port,
                          "log": str(self.layout.nginx_dir / "error.log")}}


def status(layout: SecureLayout) -> SecureStatus:
    ready = layout.credentials_file.exists() and layout.tls.ca_cert.exists()
    base = stack.status(
        layout.kafka,
        broker_count=(lambda _kafka, timeout: broker_count(layout, timeout)) if ready else (lambda *_a, **_k: (0, None)),
        registry_check=(lambda _kafka: registry_answers(layout)) if ready else (lambda _kafka: False))
    base.bootstrap_servers = layout.sasl_bootstrap
    base.schema_registry_url = layout.registry_url
    return SecureStatus(base, layout, processes.running_pid(layout.nginx_dir / "pid", layout.kafka.marker,
                                                                     token=str(layout.nginx_dir)))


# --------------------------------------------------------------------------- up / down


def up(layout: SecureLayout, timeout: float = 180.0) -> SecureStatus:
    started = time.monotonic()
    current = status(layout)
    if current.healthy:
        stack.progress("Secured stack already running: reusing it.")
        _finish(layout, credentials(layout))
        return current
    _check_ports_free(layout)
    kafka_java = find_java(v.KAFKA_MIN_JAVA, explicit_env="KGITOPS_KAFKA_JAVA", purpose="Apache Kafka").executable
    find_java(v.REGISTRY_MIN_JAVA, explicit_env="KGITOPS_REGISTRY_JAVA",
              purpose=f"Apicurio Registry {v.APICURIO_VERSION}")
    nginx.find_nginx()  # installs it, or says how, before anything starts
    if not layout.credentials_file.exists():
        stack.down(layout.kafka)  # storage formatted with other SCRAM users would refuse the new ones
        Credentials.generate().save(layout.credentials_file)
    creds = credentials(layout)
    tls = certs.ensure_tls_files(layout.tls.directory)
    libs = jars.ensure_kafka_libs()
    jars.ensure_apicurio()
    stack.progress(f"Starting the secured stack: brokers SASL_SSL {layout.sasl_bootstrap}, mutual TLS "
                   f"{layout.mtls_bootstrap}; registry {layout.registry_url} (nginx, basic auth)")
    kafka = layout.kafka
    stack._start_kafka_process(kafka, kafka_java, libs, kafka.controller_dir, controller_properties(layout),
                               stack.CONTROLLER_HEAP, format_args=_scram_format_args(creds))
    for n in kafka.node_ids():
        stack._start_kafka_process(kafka, kafka_java, libs, kafka.node_dir(n), node_properties(layout, n),
                                   stack.KAFKA_HEAP)
    stack._start_registry(kafka)
    nginx.start_nginx(layout.nginx_dir, marker=kafka.marker, port=layout.https_port,
                      upstream_port=kafka.registry_port, tls=tls, users=creds.registry)
    _wait_ready(layout, started, timeout)
    _finish(layout, creds)
    ready = status(layout)
    stack.progress(f"Secured stack ready in {time.monotonic() - started:.1f} s.")
    return ready


def _finish(layout: SecureLayout, creds: Credentials) -> None:
    """Idempotent: the ACLs of kgitops' users and the files a user connects with."""
    grant_kgitops_acls(layout)
    _write_client_files(layout, creds)


def _check_ports_free(layout: SecureLayout) -> None:
    if processes.running_pid(layout.kafka.controller_dir / "pid", layout.kafka.marker):
        return  # partly running: the ports in use are ours
    busy = [p for p in layout.all_ports() if stack._port_in_use(p)]
    if busy:
        raise KgitopsError(
            f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are in use by another process. Stop it, or move the "
            f"secured stack with --base-port / --registry-port (it uses those plus {PORT_OFFSET}).")


def _wait_ready(layout: SecureLayout, started: float, timeout: float) -> None:
    last_report = 0.0
    while True:
        brokers, _ = broker_count(layout, timeout=2.0)
        registry = registry_answers(layout)
        if brokers == layout.kafka.nodes and registry:
            return
        dead = stack._dead_component(layout.kafka)
        if dead is None and not processes.running_pid(layout.nginx_dir / "pid", layout.kafka.marker,
                                                                    token=str(layout.nginx_dir)):
            dead = ("nginx", layout.nginx_dir / "error.log")
        elapsed = time.monotonic() - started
        if dead or elapsed > timeout:
            name, log = dead if dead else (f"the secured stack ({brokers}/{layout.kafka.nodes} brokers, registry "
                                           f"{'up' if registry else 'down'})", layout.kafka.node_log(1))
            reason = "exited" if dead else f"was not ready after {timeout:.0f} s"
            raise KgitopsError(f"{name} {reason}. Last lines of {log}:\n{processes.log_tail(log)}\n"
                               f"Stop what was started with `kgitops dev down --secure`.")
        if elapsed - last_report >= 5:
            stack.progress(f"  waiting: {brokers}/{layout.kafka.nodes} brokers, registry "
                           f"{'up' if registry else 'starting'} ({elapsed:.0f} s)")
            last_report = elapsed
        time.sleep(0.5)


def kgitops_acl_bindings(principal: str, topics: str = "*", topic_pattern: str = "LITERAL") -> list:
    """confluent-kafka AclBindings granting `principal` exactly REQUIRED_ACLS, with the
    managed topics given as `topics` (a LITERAL name, or a PREFIXED prefix)."""
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    from kgitops.live.permissions import MANAGED, REQUIRED_ACLS

    bindings = []
    for acl in REQUIRED_ACLS:
        name, pattern = (topics, topic_pattern) if acl.name == MANAGED else (acl.name, acl.pattern)
        for operation in acl.operations:
            # confluent-kafka names Kafka's CLUSTER resource BROKER (named kafka-cluster).
            kind = ResourceType.BROKER if acl.resource == "CLUSTER" else ResourceType[acl.resource]
            bindings.append(AclBinding(kind, name, ResourcePatternType[pattern], principal,
                                       "*", AclOperation[operation], AclPermissionType.ALLOW))
    return bindings


def grant(layout: SecureLayout, bindings: list) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({**admin_client_config(layout), "logger": stack._SilentLogger()})
    for binding, future in admin.create_acls(bindings, request_timeout=30).items():
        future.result(timeout=35)


def grant_kgitops_acls(layout: SecureLayout) -> None:
    """The users kgitops runs as on this stack hold the documented minimal ACLs, for every topic."""
    grant(layout, kgitops_acl_bindings(f"User:{KGITOPS_USER}") + kgitops_acl_bindings(f"User:{certs.CLIENT_CN}"))


def _write_client_files(layout: SecureLayout, creds: Credentials) -> None:
    """An env file a user can source, and example cluster files that take their secrets from it."""
    tls = layout.tls
    exports = {
        "KAFKA_USER": KGITOPS_USER, "KAFKA_PASSWORD": creds.kafka[KGITOPS_USER],
        "SR_USER": REGISTRY_USER, "SR_PASSWORD": creds.registry[REGISTRY_USER],
        "KGITOPS_DEV_CA": str(tls.ca_cert), "KGITOPS_DEV_CLIENT_CERT": str(tls.client_cert),
        "KGITOPS_DEV_CLIENT_KEY": str(tls.client_key),
    }
    layout.env_file.touch(mode=0o600)
    layout.env_file.write_text("".join(f"export {k}={val}\n" for k, val in exports.items()))
    registry = (f"schema_registry:\n  url: {layout.registry_url}\n  tls: {{ca_file: \"${{KGITOPS_DEV_CA}}\"}}\n"
                f"  auth: {{basic: {{username: \"${{SR_USER}}\", password: \"${{SR_PASSWORD}}\"}}}}\n")
    (layout.state_dir / "cluster-sasl.yaml").write_text(
        f"name: dev-secure\nkafka:\n  bootstrap_servers: {layout.sasl_bootstrap}\n  properties:\n"
        f"    security.protocol: SASL_SSL\n    sasl.mechanism: {SCRAM}\n    sasl.username: \"${{KAFKA_USER}}\"\n"
        f"    sasl.password: \"${{KAFKA_PASSWORD}}\"\n    ssl.ca.location: \"${{KGITOPS_DEV_CA}}\"\n{registry}")
    (layout.state_dir / "cluster-mtls.yaml").write_text(
        f"name: dev-secure\nkafka:\n  bootstrap_servers: {layout.mtls_bootstrap}\n  properties:\n"
        f"    security.protocol: SSL\n    ssl.ca.location: \"${{KGITOPS_DEV_CA}}\"\n"
        f"    ssl.certificate.location: \"${{KGITOPS_DEV_CLIENT_CERT}}\"\n"
        f"    ssl.key.location: \"${{KGITOPS_DEV_CLIENT_KEY}}\"\n{registry}")


def down(layout: SecureLayout) -> list[str]:
    stopped = []
    if processes.stop(layout.nginx_dir / "pid", layout.kafka.marker, timeout=10, token=str(layout.nginx_dir)):
        stopped.append("nginx")
    stopped += stack.down(layout.kafka)
    # The SCRAM users were formatted into the storage just deleted: new ones next time.
    layout.credentials_file.unlink(missing_ok=True)
    layout.env_file.unlink(missing_ok=True)
    return stopped
