"""`kgitops dev up | down | status`: the local real stack."""
from __future__ import annotations

import argparse
import json

from kgitops.devstack.stack import StackLayout, StackStatus, down, status, up
from kgitops.errors import EXIT_ERROR, EXIT_OK, InputError


def _print_status(st: StackStatus, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(st.to_dict(), indent=2))
        return
    print(f"bootstrap servers:   {st.bootstrap_servers}")
    if st.schema_registry_url:  # the Kafka 3.9 stack has none
        print(f"schema registry:     {st.schema_registry_url}")
    print(f"brokers:             {st.brokers}/{st.expected_brokers} live" + (f" (cluster {st.cluster_id})" if st.cluster_id else ""))
    if st.schema_registry_url:
        print(f"registry:            {'up' if st.registry_up else 'down'}")
    for node, info in st.nodes.items():
        state = f"pid {info['pid']}, {info['rss_mb']:.0f} MB" if info["pid"] and info["rss_mb"] else "not running"
        label = {"controller": "kafka controller", "zookeeper": "zookeeper"}.get(str(node), f"kafka broker {node}")
        print(f"  {label:<18}:{info['port']}  {state}")
    reg = st.registry
    if st.schema_registry_url:
        reg_state = f"pid {reg['pid']}, {reg['rss_mb']:.0f} MB" if reg.get("pid") and reg.get("rss_mb") else "not running"
        print(f"  {'registry':<18}:{reg['port']}  {reg_state}")
    if st.proxy:
        print(f"via toxiproxy:       {st.proxy['bootstrap_servers']}, {st.proxy['schema_registry_url']} "
              f"(API {st.proxy['api']})")
    print(f"state directory:     {st.state_dir}")
    print(f"health:              {'healthy' if st.healthy else 'NOT healthy'}")


def _print_secure_status(st, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(st.to_dict(), indent=2))
        return
    _print_status(st.base, fmt)
    ends = st.endpoints()
    nginx = f"pid {st.nginx_pid}" if st.nginx_pid else "not running"
    print(f"  {'nginx (https)':<18}:{st.layout.https_port}  {nginx}")
    print(f"SASL_SSL ({ends['sasl_mechanism']}):  {ends['sasl_ssl_bootstrap_servers']}")
    print(f"mutual TLS (SSL):     {ends['mtls_bootstrap_servers']}")
    print(f"registry (https):     {ends['schema_registry_url']}")
    print(f"CA certificate:       {ends['ca_file']}")
    print(f"client cert / key:    {ends['client_certificate']} / {ends['client_key']}")
    print(f"users and passwords:  {ends['credentials_file']} (kafka: {', '.join(ends['kafka_users'])}; "
          f"registry: {ends['registry_user']})")
    print(f"environment:          source {ends['env_file']} (KAFKA_USER, KAFKA_PASSWORD, SR_USER, SR_PASSWORD, "
          f"KGITOPS_DEV_CA...)")


def _run_secure(args: argparse.Namespace) -> int:
    from kgitops.devstack import secure

    layout = secure.SecureLayout.from_settings(args.state_dir, args.base_port, args.registry_port)
    if args.action == "down":
        stopped = secure.down(layout)
        if args.format == "json":
            print(json.dumps({"stopped": stopped}))
        else:
            print(f"Stopped {', '.join(stopped)}." if stopped else "Nothing was running.")
        return EXIT_OK
    st = secure.up(layout, timeout=args.timeout) if args.action == "up" else secure.status(layout)
    _print_secure_status(st, args.format)
    return EXIT_OK if st.healthy else EXIT_ERROR


def run(args: argparse.Namespace) -> int:
    if getattr(args, "secure", False):
        return _run_secure(args)
    layout = StackLayout.from_settings(args.state_dir, args.base_port, args.registry_port)
    start, stop, check = up, down, status
    if getattr(args, "kafka_version", "4.4") == "3.9":
        from kgitops.devstack import zookeeper

        layout = zookeeper.ZooKeeperLayout.beside(layout)  # type: ignore[assignment]
        start, stop, check = zookeeper.up, zookeeper.down, zookeeper.status  # type: ignore[assignment]
    if args.action == "up":
        if getattr(args, "via_proxy", False):
            if start is not up:
                raise InputError("--via-proxy works with the Kafka 4.4 stack only")
            _print_status(up(layout, timeout=args.timeout, via_proxy=True), args.format)
            return EXIT_OK
        _print_status(start(layout, timeout=args.timeout), args.format)
        return EXIT_OK
    if args.action == "down":
        stopped = stop(layout)
        if args.format == "json":
            print(json.dumps({"stopped": stopped}))
        else:
            print(f"Stopped {', '.join(stopped)}." if stopped else "Nothing was running.")
        return EXIT_OK
    st = check(layout)
    _print_status(st, args.format)
    return EXIT_OK if st.healthy else EXIT_ERROR
