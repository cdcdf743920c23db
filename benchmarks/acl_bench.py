#!/usr/bin/env python3
"""Reading and planning ACLs, SCRAM users and client quotas at scale on the secured local
stack, side by side in one run.

    python benchmarks/acl_bench.py                      # 10,000 ACLs of 1,000 principals, 1,000 users and quotas
    python benchmarks/acl_bench.py --principals 200 --per-principal 10 --users 200

Creates the ACLs (batched CreateAcls), SCRAM users (batched AlterUserScramCredentials) and
one quota per user (one AlterClientQuotas) once, writes a cluster file declaring exactly
them, then times:
- `kgitops plan` (load, read, compare, policy; no changes expected), with its request count;
- a per-principal reader: one DescribeAcls per principal (what per-resource tools do).
Numbers are printed, never asserted; a 2-core machine shared with other work swings single
runs, so compare the ratios of one run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType,  # noqa: E402
                                   AdminClient, ResourcePatternType, ResourceType, ScramCredentialInfo,
                                   ScramMechanism, UserScramCredentialDeletion, UserScramCredentialUpsertion)

from benchmarks.plan_bench import timed  # noqa: E402
from kgitops import planner  # noqa: E402
from kgitops.devstack import secure  # noqa: E402
from kgitops.devstack.stack import _SilentLogger  # noqa: E402
from kgitops.kinds.acl import wire as acl_wire  # noqa: E402
from kgitops.live import kafka_wire  # noqa: E402
from kgitops.live.clients import connect  # noqa: E402

OPERATIONS = ("READ", "WRITE", "DESCRIBE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "CREATE", "DELETE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--per-principal", type=int, default=10)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    layout = secure.SecureLayout.from_settings()
    if not secure.status(layout).healthy:
        print("starting the secured stack (kgitops dev up --secure)...", flush=True)
        secure.up(layout, timeout=300)
    admin_config = {**secure.admin_client_config(layout), "logger": _SilentLogger()}
    admin = AdminClient(admin_config)
    run = uuid.uuid4().hex[:6]
    principals = [f"User:bench-{run}-{i}" for i in range(args.principals)]
    bindings = [AclBinding(ResourceType.TOPIC, f"bench-{run}-{i}-{j // len(OPERATIONS)}", ResourcePatternType.LITERAL,
                           p, "*", AclOperation[OPERATIONS[j % len(OPERATIONS)]], AclPermissionType.ALLOW)
                for i, p in enumerate(principals) for j in range(args.per_principal)]
    started = time.perf_counter()
    for k in range(0, len(bindings), 1000):
        for future in admin.create_acls(bindings[k:k + 1000], request_timeout=120).values():
            future.result(timeout=180)
    users = [f"bench-{run}-u{i}" for i in range(args.users)]
    for k in range(0, len(users), 200):
        alterations = [UserScramCredentialUpsertion(u, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                                    b"bench-password") for u in users[k:k + 200]]
        for future in admin.alter_user_scram_credentials(alterations, request_timeout=120).values():
            future.result(timeout=180)
    print(f"created {len(bindings):,} ACLs of {len(principals):,} principals and {len(users):,} users in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    try:
        measure(args, layout, admin, run, principals, bindings, users)
    finally:  # also when interrupted: the next run starts from a clean stack
        clean_up(layout, admin, bindings, users)


def measure(args, layout, admin, run, principals, bindings, users) -> None:
    acls = [{"principal": b.principal, "resource": {"type": "topic", "name": b.name}, "operations": [b.operation.name]}
            for b in bindings]
    declared_users = [{"name": u, "mechanism": "SCRAM-SHA-512", "iterations": 4096, "password": "${BENCH_PASSWORD}"}
                      for u in users]
    creds = secure.credentials(layout)
    with tempfile.TemporaryDirectory() as tmp:
        cluster_file = Path(tmp) / "bench.yaml"
        cluster_file.write_text(yaml.safe_dump({
            "name": f"bench-{run}", "kafka": {"bootstrap_servers": layout.sasl_bootstrap, "properties": {
                "security.protocol": "SASL_SSL", "sasl.mechanism": secure.SCRAM, "sasl.username": secure.ADMIN_USER,
                "sasl.password": creds.kafka[secure.ADMIN_USER], "ssl.ca.location": str(layout.tls.ca_cert)}},
            "acls": acls, "users": declared_users, "external_principals": principals,
            "quotas": [{"entity": {"user": u}, "producer_byte_rate": "1MiB"} for u in users]}, sort_keys=False))
        quota_admin = connect(planner.load(str(cluster_file)).cluster).kafka_python()
        kafka_wire.alter_client_quotas(quota_admin, [(((("user", u),)), {"producer_byte_rate": 1048576.0})
                                                     for u in users], 120)
        quota_admin.close()

        def kgitops_plan():
            desired = planner.load(str(cluster_file))
            return planner.compute(desired, connect(desired.cluster))

        def per_principal():
            for p in principals:
                admin.describe_acls(AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, p, None,
                                                     AclOperation.ANY, AclPermissionType.ANY),
                                    request_timeout=60).result(timeout=90)
            return len(principals)

        def one_describe_acls():
            return len(acl_wire.read_all(admin, 60))

        plan_time, run_result = timed(kgitops_plan, repeat=3)
        batched_time, found = timed(one_describe_acls, repeat=3)
        reader_time, requests = timed(per_principal, repeat=1)
        assert not run_result.plan.actions, run_result.plan.summary_line()
        print(f"\n   {'reader':<40}{'wall s':>8}{'requests':>10}")
        print(f"   {'kgitops plan (load+read+diff, median 3)':<40}{plan_time:8.2f}{sum(run_result.requests.values()):>10}")
        print(f"   {'kgitops ACL read: one DescribeAcls':<40}{batched_time:8.2f}{1:>10}   ({found:,} bindings)")
        print(f"   {'per-principal DescribeAcls':<40}{reader_time:8.2f}{requests:>10}")
        print(f"   ACL read: per-principal / kgitops = {reader_time / batched_time:.1f}x")
        print(f"   kgitops plan requests: {run_result.requests}; phases: "
              + ", ".join(f"{k} {v:.2f} s" for k, v in run_result.timings.items()))


def clean_up(layout, admin, bindings, users) -> None:
    from kgitops.live.kafka_python_admin import open_kafka_python_admin

    config = {k: v for k, v in secure.admin_client_config(layout).items() if k != "logger"}
    quota_admin = open_kafka_python_admin(config)
    try:
        kafka_wire.alter_client_quotas(quota_admin, [(((("user", u),)), {"producer_byte_rate": None}) for u in users],
                                       120)
    finally:
        quota_admin.close()
    for k in range(0, len(users), 200):
        deletions = [UserScramCredentialDeletion(u, ScramMechanism.SCRAM_SHA_512) for u in users[k:k + 200]]
        for future in admin.alter_user_scram_credentials(deletions, request_timeout=120).values():
            future.result(timeout=180)
    for k in range(0, len(bindings), 1000):
        for future in admin.delete_acls([AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal,
                                                          b.host, b.operation, b.permission_type)
                                         for b in bindings[k:k + 1000]], request_timeout=120).values():
            future.result(timeout=180)
    print("cleaned up: ACLs, users and quotas of this run removed", flush=True)

if __name__ == "__main__":
    main()
