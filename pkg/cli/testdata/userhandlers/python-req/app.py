"""Imports fine and raises in every invocation."""


def handler(event, context):
    raise ValueError("items is empty")
