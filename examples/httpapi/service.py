"""An HTTP API (API Gateway V2) with sparta-httpapi: four routes, CORS, a JWT route.

- ``GET /items/{id}``: one item; ``id`` is a path parameter (``get_item``);
- ``POST /items``: a JSON body creates one (``create_item``);
- ``GET /me``: only with a valid token from the ``users`` JWT authorizer (``whoami``);
- ``$default``: every other request (``not_found``).

API Gateway answers the browser's CORS preflight and adds the CORS headers itself.
``sparta provision`` prints the URL (output ``ShopHttpApiUrl``).
"""

from sparta_httpapi import HttpAPI, json_body, response

import sparta_core as sparta

service = sparta.Service("shop", description="The sparta-httpapi example")
api = service.add(HttpAPI("shop", cors=True))
users = api.jwt_authorizer("users", issuer="https://auth.example.com/", audience=["shop-web"])

ITEMS = {"42": {"id": "42", "name": "teapot"}}


@service.function(timeout=5)
def get_item(event, context):
    item = ITEMS.get(event["pathParameters"]["id"])
    return response(item) if item else response({"error": "no such item"}, status=404)


@service.function(timeout=5)
def create_item(event, context):
    try:
        item = json_body(event, default={})
    except ValueError:
        return response({"error": "the body must be JSON"}, status=400)
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return response({"error": "the body must be an object with a string 'name'"}, status=400)
    return response({"created": item["name"]}, status=201, headers={"Location": "/items/new"})


@service.function(timeout=5)
def whoami(event, context):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return response({"sub": claims.get("sub")})


@service.function(timeout=5)
def not_found(event, context):
    return response({"error": f"nothing at {event['rawPath']}"}, status=404)


api.route("GET /items/{id}", function=get_item)
api.route("POST /items", function=create_item)
api.route("GET /me", function=whoami, authorizer=users)
api.route("$default", function=not_found)
