"""Imports a package that requirements.txt does not name: Runtime.ImportModuleError at init."""

import requests  # noqa: F401


def handler(event, context):
    return "never"
