"""Fixtures for importing WSO2 exports: CSV files written as WSO2's SQL exports them, hashes as
Carbon makes them (the worked example's generator), and tokenctl run in-process."""

import csv
import io
import json

import pytest

from tests.wso2_example import EXAMPLE
from tokenctl.cli import main

USER_COLUMNS = [
    "UM_USER_NAME",
    "UM_USER_PASSWORD",
    "UM_SALT_VALUE",
    "UM_REQUIRE_CHANGE",
    "UM_TENANT_ID",
    "ROLES",
]


def carbon_row(name: str, password: str, *, salted=True, change=False, tenant=-1234, roles="") -> list:
    salt = EXAMPLE.carbon_salt() if salted else None
    return [name, EXAMPLE.carbon_hash(password, salt), salt or "", str(change).lower(), tenant, roles]


def write_csv(path, columns: list[str], rows: list[list]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
    return str(path)


class Cli:
    def __init__(self, capsys, monkeypatch):
        self.capsys, self.monkeypatch = capsys, monkeypatch

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(""))
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *argv: str) -> dict:
        code, out, err = self(*argv, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def tokenctl(aws, capsys, monkeypatch) -> Cli:
    return Cli(capsys, monkeypatch)
