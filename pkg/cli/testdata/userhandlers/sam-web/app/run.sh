#!/bin/bash
# The adapter's exec wrapper runs this: start the web server on $PORT.
exec python3 "$LAMBDA_TASK_ROOT/main.py"
