"""The store over HTTP against `make run` (DynamoDB Local): an API imported with
`--subscriptions required` refuses an unsubscribed application (403), a subscription admits it, a
1 request/s burst-2 tier answers 429 with Retry-After and admits again after the refill, usage
counts the calls (the portal's API and tokenctl), another user cannot subscribe someone's
application, a tier in use cannot be deleted, and concurrent subscribes and unsubscribes of one
application end in one consistent state."""

import json
import secrets
import threading
import time

import pytest
import requests

from tests.e2e.conftest import ROOT, needs_dynamodb_local, start_make_run, tokenctl

PASSWORD = "a fine long passphrase"
OPENAPI = str(ROOT / "openapi.yaml")


@pytest.fixture(scope="module")
def api():
    yield from start_make_run({"SELF_SIGNUP_ENABLED": "true"})  # the default RULES_CACHE_SECONDS (60)


@pytest.fixture(scope="module")
def required(api):
    imported = tokenctl(
        api, "api", "import", OPENAPI, "--api", "local", "--subscriptions", "required", "--json"
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["subscriptions"] == "required"
    return api


class Developer:
    def __init__(self, api):
        demo, self.username, self.api = api.demo, f"dev-{secrets.token_hex(3)}", api
        auth = (demo["client_id"], demo["client_secret"])
        form = {"username": self.username, "password": PASSWORD}
        assert requests.post(f"{api.url}/signup", data=form, auth=auth, timeout=30).status_code == 201
        form = {**form, "grant_type": "password", "scope": "apim:subscribe"}
        issued = requests.post(f"{api.url}/token", data=form, auth=auth, timeout=30).json()
        self.bearer = {"Authorization": f"Bearer {issued['access_token']}"}

    def call(self, method: str, path: str, body=None) -> requests.Response:
        return requests.request(method, f"{self.api.url}{path}", json=body, headers=self.bearer, timeout=30)


class App:
    def __init__(self, developer: Developer, name: str = "Shop"):
        self.developer, api = developer, developer.api
        self.id = developer.call("POST", "/applications", {"name": name, "scope": "read"}).json()["id"]
        keys = developer.call("POST", f"/applications/{self.id}/keys", {"environment": "production"}).json()
        form = {"grant_type": "client_credentials", "scope": "read"}
        auth = (keys["client_id"], keys["client_secret"])
        token = requests.post(f"{api.url}/token", data=form, auth=auth, timeout=30).json()["access_token"]
        self.bearer = {"Authorization": f"Bearer {token}"}

    def whoami(self) -> requests.Response:
        return requests.get(f"{self.developer.api.url}/whoami", headers=self.bearer, timeout=30)

    def subscribe(self, tier: str, api: str = "local") -> requests.Response:
        return self.developer.call(
            "POST", f"/applications/{self.id}/subscriptions", {"api": api, "tier": tier}
        )

    def unsubscribe(self, api: str = "local") -> requests.Response:
        return self.developer.call("DELETE", f"/applications/{self.id}/subscriptions/{api}")


def test_requiring_subscriptions_holds_at_once_though_the_rules_are_cached(api):
    app = App(Developer(api))  # the Applications API's calls put the API's rules in memory
    assert app.whoami().status_code == 200
    required = tokenctl(api, "api", "import", OPENAPI, "--api", "local", "--subscriptions", "required")
    assert required.returncode == 0, required.stderr
    assert app.whoami().status_code == 403  # at once: make run reads what an API says of subscriptions
    assert app.developer.call("GET", "/applications").status_code == 200  # a user's own token: not bound
    lifted = tokenctl(api, "api", "import", OPENAPI, "--api", "local")
    assert lifted.returncode == 0, lifted.stderr
    assert app.whoami().status_code == 200


def test_the_tiers_exist_from_the_start_and_a_new_one_is_listed(api):
    listed = tokenctl(api, "tier", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = [tier["name"] for tier in json.loads(listed.stdout)]
    assert names[:4] == ["Unlimited", "Gold", "Silver", "Bronze"]
    made = tokenctl(
        api,
        "tier",
        "create",
        "Weekly",
        "--rate",
        "5",
        "--burst",
        "10",
        "--quota",
        "1000",
        "--quota-period",
        "WEEK",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["quota_period"] == "WEEK"
    again = tokenctl(api, "tier", "create", "weekly", "--rate", "5", "--burst", "10")
    assert again.returncode != 0 and "exists" in again.stderr and "Traceback" not in again.stderr
    bad = tokenctl(api, "tier", "create", "Bad", "--rate", "-1", "--burst", "1")
    assert bad.returncode != 0 and "--rate" in bad.stderr


def test_subscribe_call_throttle_refill_usage_unsubscribe(required):
    app = App(Developer(required))
    refused = app.whoami()
    assert refused.status_code == 403 and "subscribe" in refused.json()["error_description"]
    made = tokenctl(required, "tier", "create", "OnePerSecond", "--rate", "1", "--burst", "2")
    assert made.returncode == 0, made.stderr
    catalogue = app.developer.call("GET", "/apis").json()["apis"]
    assert any(
        entry["id"] == "local" and "OnePerSecond" in [t["name"] for t in entry["tiers"]]
        for entry in catalogue
    )
    assert app.subscribe("OnePerSecond").status_code == 201
    statuses = [app.whoami() for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    throttled = statuses[2]
    assert throttled.headers["Retry-After"] == "1" and throttled.json()["error"] == "temporarily_unavailable"
    time.sleep(1.2)
    assert app.whoami().status_code == 200
    usage = app.developer.call("GET", f"/applications/{app.id}/usage").json()
    assert usage["total"] == 3 and usage["apis"][0]["days"][-1]["calls"] == 3
    reported = tokenctl(required, "usage", "--application", app.id, "--json")
    assert sum(row["calls"] for row in json.loads(reported.stdout)["usage"]) == 3
    in_use = tokenctl(required, "tier", "delete", "OnePerSecond")
    assert in_use.returncode != 0 and "in use" in in_use.stderr
    assert app.unsubscribe().status_code == 200
    assert app.whoami().status_code == 403
    assert tokenctl(required, "tier", "delete", "OnePerSecond").returncode == 0


def test_another_users_application_cannot_be_subscribed(required):
    app, other = App(Developer(required)), Developer(required)
    response = other.call("POST", f"/applications/{app.id}/subscriptions", {"api": "local", "tier": "Gold"})
    assert response.status_code == 404
    assert app.whoami().status_code == 403


@needs_dynamodb_local
def test_concurrent_subscribes_and_unsubscribes_end_consistent(required):
    app = App(Developer(required))
    outcomes: list[int] = []

    def churn(subscribe: bool):
        for _ in range(4):
            response = app.subscribe("Gold") if subscribe else app.unsubscribe()
            outcomes.append(response.status_code)

    threads = [threading.Thread(target=churn, args=(i % 2 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) <= {200, 201, 404, 409, 503}, outcomes  # never a 500
    listed = app.developer.call("GET", f"/applications/{app.id}/subscriptions").json()["subscriptions"]
    assert app.whoami().status_code == (200 if listed else 403)
    assert listed in ([], [{**listed[0], "api": "local", "tier": "Gold"}] if listed else [])
