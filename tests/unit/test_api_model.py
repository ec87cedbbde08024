"""RestAPI and its routes: what is refused when declared, how routes resolve to the
service's functions, and sparta_runtime.api's responses."""

from __future__ import annotations

import base64
import json

import pytest

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError
from sparta_core.runtime import api as runtime_api


def handler(event, context):
    return event


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "1photos"}, "RestAPI name '1photos' must start with a letter"),
    ({"name": "photos", "stage": "v 1"}, "RestAPI 'photos': stage 'v 1' must be 1-128"),
    ({"name": "photos", "endpoint_type": "PRIVATE"}, "endpoint_type must be one of REGIONAL, EDGE"),
    ({"name": "photos", "binary_media_types": "image/png"}, "binary_media_types must be a list"),
    ({"name": "photos", "binary_media_types": ["png"]}, "binary_media_types must be a list"),
    ({"name": "photos", "cors": "yes"}, "cors must be True, False, a CorsConfig or a mapping"),
    ({"name": "photos", "cors": {"origin": "*"}}, "cors has unknown key(s) origin"),
    ({"name": "photos", "cors": {"allow_credentials": True}},
     "cors allow_credentials needs an explicit allow_origin"),
    ({"name": "photos", "cors": {"allow_methods": ["FETCH"]}}, "allow_methods has unknown 'FETCH'"),
    ({"name": "photos", "cors": {"max_age": "10"}}, "cors max_age must be a whole number"),
    ({"name": "photos", "cors": {"allow_headers": "X-A"}}, "allow_headers must be a list"),
])
def test_bad_api_options_are_refused_when_declared(kwargs, message):
    with pytest.raises(ServiceDefinitionError) as error:
        sparta.RestAPI(**kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize(("path", "methods", "message"), [
    ("thumbs", ["GET"], "route 'thumbs': a path must start with '/'"),
    ("/thumbs/", ["GET"], "route '/thumbs/': a path must not end with '/'"),
    ("/a//b", ["GET"], "must not contain an empty part"),
    ("/a b", ["GET"], "part 'a b' may hold only letters, digits"),
    ("/a{id}", ["GET"], "part 'a{id}' is not a whole {name} or {name+} parameter"),
    ("/{1id}", ["GET"], "part '{1id}' is not a whole"),
    ("/{rest+}/more", ["GET"], "greedy part {rest+} must be the last part"),
    ("/{id}/x/{id}", ["GET"], "path parameter {id} appears twice"),
    ("/x", ["FETCH"], "route '/x': method 'FETCH' is not one of GET, POST"),
    ("/x", [], "methods must be a non-empty list"),
    ("/x", ["GET", "get"], "method GET is listed twice"),
])
def test_bad_routes_are_refused_naming_the_route(path, methods, message):
    api = sparta.RestAPI("photos")
    with pytest.raises(ServiceDefinitionError) as error:
        api.route(path, methods=methods, function=handler)
    assert str(error.value).startswith("RestAPI 'photos': route ")
    assert message in str(error.value)


def test_route_conflicts_are_refused_naming_both():
    api = sparta.RestAPI("photos")
    api.route("/thumbs/{id}", methods=["GET", "PUT"], function="get_thumb")
    with pytest.raises(ServiceDefinitionError, match=r"PUT /thumbs/\{id\} is already routed "
                                                     r"\(to function 'get_thumb'\)"):
        api.route("/thumbs/{id}", methods=["DELETE", "PUT"], function="other")
    with pytest.raises(ServiceDefinitionError, match=r"\{name\} and \{id\}"):
        api.route("/thumbs/{name}/size", function="other")
    with pytest.raises(ServiceDefinitionError, match=r"\{rest\+\} and \{id\}"):
        api.route("/thumbs/{rest+}", function="other")
    api.route("/a-b", function="other")
    with pytest.raises(ServiceDefinitionError, match="path '/aB' and path '/a-b' would share "
                                                     "the logical ID 'PhotosApiABResource'"):
        api.route("/aB", function="other")
    with pytest.raises(ServiceDefinitionError, match="authorization_type must be one of"):
        api.route("/z", function="other", authorization_type="COGNITO")
    with pytest.raises(ServiceDefinitionError, match=r"function=\.\.\. is required"):
        api.route("/z")
    # Refused routes leave nothing behind; lower-case methods are accepted.
    api.route("/thumbs/{id}", methods=["delete"], function="other")
    assert [r.describe() for r in api.routes] == [
        "GET PUT /thumbs/{id}", "GET /a-b", "DELETE /thumbs/{id}"]


def test_routes_resolve_by_function_object_key_or_lambda_function():
    service = sparta.Service("svc")
    decorated = service.function(name="renamed")(handler)
    added = service.add_function("pkg.mod.other")
    api = sparta.RestAPI("photos")
    api.route("/", function=decorated)
    api.route("/other", methods=["POST"], function=added)
    api.route("/key", function="other")
    assert [r.function_key for r in api.resolve(service)] == ["renamed", "other", "other"]

    stranger = sparta.Service("stranger").add_function("pkg.mod.other")
    api.route("/stranger", function=stranger)
    with pytest.raises(ServiceDefinitionError, match="route 'GET /stranger' goes to function "
                                                     "'other', which is not a function of "
                                                     "service 'svc'"):
        api.resolve(service)


def test_a_function_declared_twice_must_be_routed_by_name():
    service = sparta.Service("svc")
    service.function(name="one")(handler)
    service.function(name="two")(handler)
    api = sparta.RestAPI("photos")
    api.route("/", function=handler)
    with pytest.raises(ServiceDefinitionError, match=r"several functions \(one, two\)"):
        api.resolve(service)


def test_cors_headers_by_path_methods():
    config = sparta.CorsConfig(allow_origin="https://a.test", allow_headers=["X-A"],
                               max_age=5)
    assert config.headers(["POST", "GET"]) == {
        "Access-Control-Allow-Origin": "https://a.test",
        "Access-Control-Allow-Headers": "X-A",
        "Access-Control-Allow-Methods": "GET,OPTIONS,POST",
        "Access-Control-Max-Age": "5",
    }
    assert sparta.RestAPI("a", cors=True).cors_config == sparta.CorsConfig()
    assert sparta.RestAPI("a").cors_config is None


def test_runtime_response_carries_the_cors_headers(monkeypatch):
    monkeypatch.delenv("SPARTA_CORS", raising=False)
    assert runtime_api.response({"a": 1}) == {
        "statusCode": 200, "headers": {"Content-Type": "application/json"},
        "body": '{"a": 1}', "isBase64Encoded": False,
    }
    monkeypatch.setenv("SPARTA_CORS", json.dumps({"Access-Control-Allow-Origin": "*"}))
    text = runtime_api.response("hi", status_code=201, headers={"X-B": "1"})
    assert text["headers"] == {"Access-Control-Allow-Origin": "*", "X-B": "1",
                               "Content-Type": "text/plain; charset=utf-8"}
    binary = runtime_api.response(b"\x00\x01")
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\x00\x01"
    assert runtime_api.json_body({"body": '{"id": "x"}'}) == {"id": "x"}
    encoded = base64.b64encode(b'[1]').decode()
    assert runtime_api.json_body({"body": encoded, "isBase64Encoded": True}) == [1]
    assert runtime_api.json_body({"body": None}) is None
