"""Property test of the whole token handler: whatever arrives, the answer is never a 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import handler, token_event

GRANT = st.sampled_from(["password", "refresh_token", "client_credentials", "", "x"])
VALUE = st.text(max_size=80)
BODY = st.one_of(
    st.text(max_size=400),
    st.builds(
        lambda g, u, p, s, extra: f"grant_type={g}&username={u}&password={p}&scope={s}{extra}",
        GRANT,
        VALUE,
        VALUE,
        VALUE,
        st.sampled_from(["", "&grant_type=password", "&%ff=1", "&client_secret=x"]),
    ),
)
HEADER = st.one_of(st.none(), st.text(max_size=120), st.builds(lambda t: "Basic " + t, st.text(max_size=80)))
RESOURCE = st.sampled_from(["/token", "/revoke", "/introspect"])
METHOD = st.sampled_from(["POST", "POST", "GET", "PUT"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY, authorization=HEADER, resource=RESOURCE, method=METHOD, encoded=st.booleans())
def test_token_endpoints_never_answer_5xx(
    provisioned, lambda_context, body, authorization, resource, method, encoded
):
    event = token_event(body, authorization, resource=resource)
    event["httpMethod"] = method
    event["isBase64Encoded"] = encoded
    response = handler("token")(event, lambda_context)
    assert 200 <= response["statusCode"] < 500
    if response["body"]:
        document = json.loads(response["body"])
        assert set(document) <= {"error", "error_description", "active"} or response["statusCode"] == 200
