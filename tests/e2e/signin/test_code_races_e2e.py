"""The code flow's races for real: threads against `make run` on DynamoDB Local, never through
anything that serialises requests."""

from tests.e2e.conftest import needs_dynamodb_local
from tests.e2e.oauth.test_races_e2e import at_once
from tests.e2e.signin.conftest import Browser, Flow

pytestmark = needs_dynamodb_local

ROUNDS = 8


def test_two_exchanges_of_one_code_at_once_give_exactly_one_success(local_api, web, callback):
    client, browser = web
    demo = local_api.demo
    for _ in range(ROUNDS):
        flow = Flow(local_api, client, callback.url)
        code = browser.code(flow, demo["username"], demo["password"])["code"]
        answers = at_once(2, lambda _, flow=flow, code=code: flow.exchange(code))
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [200, 400], [response.text for response in answers]
        (refused,) = [response for response in answers if response.status_code == 400]
        assert refused.json()["error"] == "invalid_grant"


def test_one_login_form_sent_twice_at_once_signs_in_once(local_api, web, callback):
    client, browser = web
    demo = local_api.demo
    page = browser.get(Flow(local_api, client, callback.url).url())
    answers = at_once(2, lambda _: browser.log_in(page, demo["username"], demo["password"]))
    assert sorted(response.status_code for response in answers) == [303, 400]


def test_concurrent_sign_ins_in_many_browsers_each_get_their_own_code(local_api, web, callback):
    client, _ = web
    count = 6
    demo = local_api.demo
    flows = [Flow(local_api, client, callback.url) for _ in range(count)]
    codes = at_once(
        count, lambda i: Browser(local_api).code(flows[i], demo["username"], demo["password"])["code"]
    )
    assert len(set(codes)) == count
    assert all(flows[i].exchange(code).status_code == 200 for i, code in enumerate(codes))
