"""Errors that happen before any server is contacted: clear, located, never a traceback."""
from __future__ import annotations

import pytest

from kgitops.cli import main
from kgitops.devstack import java
from kgitops.errors import KgitopsError


def test_missing_connection_variable_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KGITOPS_TEST_NOPE", raising=False)
    cluster = tmp_path / "c.yaml"
    cluster.write_text("name: x\nkafka:\n  bootstrap_servers: ${KGITOPS_TEST_NOPE}\ntopics: []\n")
    assert main(["plan", "-c", str(cluster)]) == 1
    err = capsys.readouterr().err
    assert "KGITOPS_TEST_NOPE is not set" in err and "Traceback" not in err


def test_unreachable_cluster_is_one_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KGITOPS_KAFKA_TIMEOUT", "2")
    cluster = tmp_path / "c.yaml"
    cluster.write_text("name: x\nkafka:\n  bootstrap_servers: 127.0.0.1:1\ntopics: []\n")
    assert main(["plan", "-c", str(cluster)]) == 1
    err = capsys.readouterr().err
    assert "cannot reach Kafka at 127.0.0.1:1" in err and "Traceback" not in err


def test_missing_plan_file_is_an_input_error(tmp_path, capsys):
    cluster = tmp_path / "c.yaml"
    cluster.write_text("name: x\nkafka:\n  bootstrap_servers: 127.0.0.1:1\ntopics: []\n")
    from kgitops.commands.apply import read_saved_plan
    with pytest.raises(KgitopsError, match="no such plan file"):
        read_saved_plan(str(tmp_path / "nope.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(KgitopsError, match="not a kgitops plan file"):
        read_saved_plan(str(tmp_path / "bad.json"))


def test_missing_java_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(java, "JVM_DIRS", (tmp_path / "jvm",))
    with pytest.raises(KgitopsError, match=r"needs Java 21 or newer.*Install a JDK 21\+"):
        java.find_java(21, explicit_env=None, purpose="Apicurio Registry")


def test_missing_maven_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KgitopsError, match="apt-get install maven"):
        java.find_maven()


def test_java_older_than_needed_is_skipped(monkeypatch):
    monkeypatch.setattr(java, "java_major", lambda exe: 17 if exe.endswith("old/bin/java") else 25)
    monkeypatch.setenv("JAVA_HOME", "/opt/old")
    monkeypatch.setattr(java.shutil, "which", lambda name: None)
    monkeypatch.setattr(java, "_candidates_from_jvm_dirs", lambda: ["/usr/lib/jvm/new/bin/java"])
    found = java.find_java(21, explicit_env=None, purpose="registry")
    assert found == java.JavaRuntime("/usr/lib/jvm/new/bin/java", 25)
