from tokenservice.routes import PROTECTED_ROUTES, Route

PREFIX = "arn:aws:execute-api:us-east-1:123456789012:api/v1"


def test_route_resource_is_the_execute_api_arn():
    assert Route("GET", "/orders", "read").resource(PREFIX) == f"{PREFIX}/GET/orders"
    assert Route("GET", "/orders/{id}", "read").resource(PREFIX) == f"{PREFIX}/GET/orders/*"


def test_route_scope_rules():
    rules = {(r.method, r.path): r.scope for r in PROTECTED_ROUTES}
    assert rules == {("GET", "/orders"): "read", ("POST", "/orders"): "update", ("GET", "/whoami"): None}


def test_any_valid_token_route_needs_no_scope():
    assert Route("GET", "/whoami", None).allows(frozenset())
    assert not Route("POST", "/orders", "update").allows(frozenset({"read"}))


def test_route_matching_by_method_and_path():
    route = Route("GET", "/orders/{id}", "read")
    assert route.matches("GET", "/orders/42")
    assert not route.matches("POST", "/orders/42")
    assert not route.matches("GET", "/orders")
    assert not route.matches("GET", "/orders/42/items")
    assert Route("GET", "/orders", "read").matches("GET", "/orders")


def test_the_called_route_comes_from_the_method_arn():
    from tokenservice.authorizer import called_route

    assert called_route(f"{PREFIX}/POST/orders") == Route("POST", "/orders", "update")
    assert called_route(f"{PREFIX}/DELETE/orders") is None
    assert called_route("garbage") is None
