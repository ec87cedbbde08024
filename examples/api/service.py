"""A small REST API: three routes on API Gateway, each proxied to a Lambda function.

- ``GET /``: what the API offers (``index``);
- ``GET /thumbs/{id}``: one thumbnail, ``id`` is a path parameter (``get_thumb``);
- ``POST /thumbs``: a JSON body creates one (``create_thumb``).

CORS is on: API Gateway answers the browser's ``OPTIONS`` preflight on each path, and
the handlers add ``Access-Control-Allow-Origin`` to their responses through
``sparta_runtime.api.response``. ``sparta provision`` prints the invoke URL
(output ``PhotosApiUrl``).
"""

import sparta_core as sparta

api = sparta.RestAPI("photos", stage="v1", cors=True, description="Thumbnails over HTTP")
service = sparta.Service("photos", description="The sparta REST API example", api=api)


@service.function(timeout=5)
def index(event, context):
    """What the API offers. (Imported inside: sparta_runtime exists only in the archive.)"""
    from sparta_runtime.api import response

    return response({"service": "photos", "routes": [r.describe() for r in api.routes]})


# Handlers named by string are checked to exist, not imported, on the build host.
get_thumb = service.add_function("photos.handlers.get_thumb", timeout=5)
create_thumb = service.add_function("photos.handlers.create_thumb", timeout=5)

# A route's function: the decorated function, what add_function returned, or its name.
api.route("/", methods=["GET"], function=index)
api.route("/thumbs/{id}", methods=["GET"], function=get_thumb)
api.route("/thumbs", methods=["POST"], function="create_thumb")
