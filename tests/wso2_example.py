"""The worked WSO2 migration example's export maker (examples/wso2-migration/make_export.py), loaded
once for the tests that compute Carbon hashes with it."""

import importlib.util

from localrun.template import ROOT


def _example():
    spec = importlib.util.spec_from_file_location(
        "make_export", ROOT / "examples/wso2-migration/make_export.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _example()
