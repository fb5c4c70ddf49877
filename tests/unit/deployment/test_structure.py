"""Structure the code keeps: short functions, DynamoDB's wire format in the storage gateway only,
and the opaque path free of the JWT library."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ["layers/common/tokenservice", "localrun", "bench", "functions", "tokenctl", "load", "examples"]
PARSER_BUILDERS = {"build_parser", "_client_commands", "_user_commands", "_api_commands", "_key_commands"}


def functions():
    for root in SOURCES:
        for path in (ROOT / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield path.relative_to(ROOT), node


def test_no_function_is_longer_than_fifty_lines_but_tokenctls_parser():
    long = [
        f"{path}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, node in functions()
        if node.end_lineno - node.lineno + 1 > 50 and node.name not in PARSER_BUILDERS
    ]
    assert long == []


STORAGE_MODULES = {"storage.py", "dynamo.py", "records.py"}  # the gateway, its client, the raw decoder


def test_only_the_storage_modules_write_dynamodbs_wire_format():
    wire = re.compile(
        r"""\{\s*["'](S|N|BOOL|SS|B|L|M)["']\s*:"""  # an AttributeValue
        r"""|\.get\(["'](S|N|BOOL|SS)["']"""  # reading one
    )
    layer = ROOT / "layers/common/tokenservice"
    modules = [path for path in layer.rglob("*.py") if path.name not in STORAGE_MODULES]
    offenders = [path.name for path in modules if wire.search(path.read_text())]
    assert offenders == []


def test_the_opaque_paths_never_import_the_jwt_library():
    probe = (
        "import sys, functions.token.app, functions.authorizer.app, tokenservice.server.token, "
        "tokenservice.oauth.grants; "
        "print(sorted(m for m in ('jwt', 'cryptography', 'tokenservice.jose.jwt_tokens') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
