"""Scheduled job: says what time it ran (the lambda-cron example's shape)."""
import datetime
import os


def main(event, context):
    return {"ran_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "stage": os.environ.get("STAGE", "")}
