"""Declaring an HttpAPI: route keys as API Gateway V2 writes them, and every mistake a
clear error at the line that makes it (with what was probably meant)."""

from __future__ import annotations

import pytest
from sparta_httpapi import HttpAPI, parse_route_key, response

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError


def handler(event, context):
    return None


@pytest.fixture
def api() -> HttpAPI:
    return HttpAPI("shop")


@pytest.mark.parametrize(
    ("key", "shape", "arn_path"),
    [
        ("GET /items/{id}", "GET /items/{}", "GET/items/*"),
        ("ANY /files/{proxy+}", "ANY /files/{+}", "*/files/*"),
        ("POST /", "POST /", "POST/"),
        ("$default", "$default", "$default"),
    ],
)
def test_route_keys_parse(key: str, shape: str, arn_path: str) -> None:
    parsed = parse_route_key(key, "test")
    assert (str(parsed), parsed.shape(), parsed.arn_path()) == (key, shape, arn_path)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("GTE /items", "'GTE' is not an HTTP API method; use one of ANY, DELETE, GET, HEAD, "
                       "OPTIONS, PATCH, POST, PUT (did you mean 'GET /items'?)"),
        ("get /items", "(did you mean 'GET /items'?)"),
        ("$defualt", "unknown route key '$defualt' (did you mean '$default'?)"),
        ("/items", "route key '/items' has no method (did you mean 'ANY /items' or 'GET /items'?)"),
        ("GET items", "the path must start with '/' (did you mean '/items'?)"),
        ("GET /items/", "the path must not end with '/' (did you mean '/items'?)"),
        ("GET /a//b", "empty segment"),
        ("GET /a/{id}x", "'{id}x' must be a whole-segment parameter"),
        ("GET /a/{p+}/b", "the greedy parameter '{p+}' must be the last segment"),
        ("GET /a/{id}/b/{id}", "the parameter {id} appears twice"),
        (42, "a route key is a string"),
    ],
)
def test_malformed_keys_are_clear_errors(api: HttpAPI, key: object, message: str) -> None:
    with pytest.raises(ServiceDefinitionError) as raised:
        api.route(key, function=handler)  # type: ignore[arg-type]
    assert str(raised.value).startswith("HttpAPI 'shop': route ")
    assert message in str(raised.value)


def test_duplicates_name_the_route_and_its_function(api: HttpAPI) -> None:
    api.route("GET /items/{id}", function="get_item")
    with pytest.raises(ServiceDefinitionError, match=r"route 'GET /items/\{id\}' is already "
                       r"routed \(to function 'get_item'\)"):
        api.route("GET /items/{id}", function="other")
    with pytest.raises(ServiceDefinitionError, match=r"is the same route as 'GET /items/\{id\}' "
                       "to API Gateway"):
        api.route("GET /items/{key}", function="other")
    api.route("POST /items/{id}", function="other")  # another method is another route


def test_logical_id_collisions_are_caught_when_declared(api: HttpAPI) -> None:
    api.route("GET /my-items", function="a")
    with pytest.raises(ServiceDefinitionError, match="would share the logical ID suffix"):
        api.route("GET /my_items", function="b")


def test_authorizers_belong_to_their_api(api: HttpAPI) -> None:
    users = api.jwt_authorizer("users", issuer="https://auth.example.com/", audience=["web"])
    route = api.route("GET /me", function="whoami", authorizer=users, scopes=["profile"])
    assert (route.authorizer, route.scopes) == (users, ("profile",))
    other = HttpAPI("other").jwt_authorizer("users", issuer="https://a.example/", audience=["x"])
    with pytest.raises(ServiceDefinitionError, match="one that this API's jwt_authorizer"):
        api.route("GET /you", function="whoami", authorizer=other)
    with pytest.raises(ServiceDefinitionError, match="scopes need an authorizer"):
        api.route("GET /them", function="whoami", scopes=["x"])
    with pytest.raises(ServiceDefinitionError, match="must be an https:// URL"):
        api.jwt_authorizer("bad", issuer="auth.example.com", audience=["web"])
    with pytest.raises(ServiceDefinitionError, match="audience must be a non-empty list"):
        api.jwt_authorizer("bad", issuer="https://auth.example.com/", audience="web")
    with pytest.raises(ServiceDefinitionError, match="declared twice"):
        api.jwt_authorizer("users", issuer="https://auth.example.com/", audience=["web"])


def test_bad_options_say_what_was_meant() -> None:
    with pytest.raises(ServiceDefinitionError, match=r"unknown cors key 'allow_origin' "
                       r"\(did you mean 'allow_origins'\?\)"):
        HttpAPI("shop", cors={"allow_origin": ["https://a.example"]})
    with pytest.raises(ServiceDefinitionError, match="allow_credentials needs explicit"):
        HttpAPI("shop", cors={"allow_credentials": True})
    with pytest.raises(ServiceDefinitionError, match="stage 'v 1' must be '\\$default'"):
        HttpAPI("shop", stage="v 1")
    with pytest.raises(ServiceDefinitionError, match="HttpAPI name '1shop'"):
        HttpAPI("1shop")


def test_functions_resolve_by_object_key_or_lambda_function() -> None:
    service = sparta.Service("shop")
    api = service.add(HttpAPI("shop"))
    service.function()(handler)
    listed = service.add_function("pkg.handlers.listed")
    api.route("GET /a", function=handler)
    api.route("GET /b", function="handler")
    api.route("GET /c", function=listed)
    assert [f.key for f in api.functions(service)] == ["handler", "listed"]
    assert [label for label, _ in api.edges(service)] == ["GET /a", "GET /b", "GET /c"]
    api.route("GET /d", function="missing")
    with pytest.raises(ServiceDefinitionError, match="route 'GET /d' goes to function 'missing', "
                       "which is not a function of service 'shop'"):
        api.validate(service)


def test_response_helper_builds_payload_2_answers() -> None:
    assert response({"id": "42"}) == {
        "statusCode": 200, "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json"}, "body": '{"id": "42"}'}
    assert response("hi", status=201, headers={"content-type": "text/html"})["headers"] == {
        "content-type": "text/html"}
    binary = response(b"\x00\x01")
    assert (binary["isBase64Encoded"], binary["body"]) == (True, "AAE=")
    assert response(None, status=204, cookies=["a=1"])["cookies"] == ["a=1"]
    with pytest.raises(ValueError, match="status must be an HTTP status code"):
        response({}, status=1000)
