"""The store's fixtures: the Applications API's developers (its `console` client and `alice`), the
sample API imported with --subscriptions required, and alice's application with production keys."""

import pytest

from tests.functional.portal.test_applications import alice, console  # noqa: F401 - fixtures
from tests.functional.store.test_subscriptions import App
from tokenservice import admin
from tokenservice.registry import openapi


@pytest.fixture
def required(aws):
    """The sample API (`local`: /orders, /whoami) imported with --subscriptions required."""
    admin.import_api(str(openapi.SAMPLE), "local", subscriptions="required")


@pytest.fixture
def shop(lambda_context, alice) -> App:  # noqa: F811 - the fixture imported above
    return App(lambda_context, alice)
