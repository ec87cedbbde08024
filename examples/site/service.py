"""A service with a static site: one function, and the pages of ``site/`` served from
an S3 bucket the stack owns.

The site's files are zipped, uploaded beside the code and copied into the bucket by a
custom resource; ``sparta-config.json`` tells the page where it was deployed.
"""

import sparta_core as sparta

service = sparta.Service(
    "sitedemo",
    description="A static site next to a function; the sparta site example",
    site=sparta.S3Site(
        "site/",
        error_document="error.html",
        cache_control={"*.html": "no-cache", "*": "max-age=300"},
        config={"stack": sparta.Ref("AWS::StackName"), "region": sparta.Ref("AWS::Region")},
    ),
)


@service.function(timeout=5)
def hello(event, context):
    """Return a greeting; the site is static, the function stands beside it."""
    return {"message": f"Hello, {(event or {}).get('name', 'world')}!"}
