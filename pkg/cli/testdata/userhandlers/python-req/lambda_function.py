"""A Python function as the Lambda console writes it, with one dependency from requirements.txt."""

import os

import six

TABLE = os.environ.get("TABLE", "orders")  # configuration read at init


def lambda_handler(event, context):
    return {"statusCode": 200, "body": f"{TABLE} six {six.__version__}", "requestId": context.aws_request_id}
