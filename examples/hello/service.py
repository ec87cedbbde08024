"""A small sparta service: two functions, one of them allowed to read a parameter.

``greet`` answers with a greeting; ``config`` reads an SSM parameter, so its role gets
exactly that one privilege on top of the logs every function may write.
"""

import sparta_core as sparta

service = sparta.Service("hello", description="Greets people; the sparta example service")


@service.function(memory_size=256, timeout=10, environment={"GREETING": "Hello"})
def greet(event, context):
    """Return a greeting for ``event["name"]`` (default: world)."""
    from hello.greetings import greeting

    name = (event or {}).get("name", "world")
    return {"message": greeting(name)}


@service.function(
    description="Reads the greeting from SSM Parameter Store",
    role=sparta.IAMRoleDefinition(
        privileges=[
            sparta.Privilege(
                actions=["ssm:GetParameter"],
                resources=[sparta.Sub(
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                    ":parameter/hello/greeting"
                )],
            )
        ]
    ),
)
def config(event, context):
    """Return the function's own configuration as sparta_runtime discovers it."""
    import sparta_runtime

    return {"discovered": sparta_runtime.discover(), "request_id": context.aws_request_id}
