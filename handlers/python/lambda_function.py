"""coldbench's Python reference handler: the shape of a typical Python Lambda function, run by AWS's
runtime interface client (awslambdaric) the way Lambda's python runtimes run it. The handler setting
picks the function: lambda_function.work (the unified reference workload) or lambda_function.hello
(returns at once, to isolate the runtime's own init)."""

import os
import urllib.request

from workload import ITERATIONS, checksum

# Read at init, as real handlers create their SDK clients there.
OUTBOUND = os.environ.get("COLDBENCH_OUTBOUND_URL")
_opener = urllib.request.build_opener()


def hello(event, context):
    return {"runtime": "python", "hello": "world"}


def work(event, context):
    total = checksum(ITERATIONS)
    status = 0
    if OUTBOUND:
        with _opener.open(OUTBOUND, timeout=10) as resp:
            resp.read()
            status = resp.status
    return {"runtime": "python", "iterations": ITERATIONS, "checksum": f"{total:08x}", "outbound_status": status}
