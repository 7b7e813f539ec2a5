"""Run by tests/api/test_idempotency.py in a subprocess against a fresh SQLite file: the in-memory test database
of SQLite refuses a second writer at once (shared cache) where a file database waits, as in production."""

from __future__ import annotations

import json
import os
import sys
import threading

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from plumbline.accounts.actions import do_create_api_token, do_create_user
    from plumbline.crm.actions import do_create_contact
    from plumbline.marketing.models import Touchpoint

    call_command("migrate", verbosity=0)
    user = do_create_user(username="marketing", password="correct-horse-battery", role="marketing",
                          email="m@plumbline.test", is_superuser=False)
    token = do_create_api_token(user=user)[1]
    do_create_contact(email="ada@example.com", first_name="Ada")
    body = json.dumps({"items": [{"contact_email": "ada@example.com", "kind": "page_view", "channel": "seo"}]})
    count = int(sys.argv[1])
    barrier, answers = threading.Barrier(count), []

    def send() -> None:
        try:
            barrier.wait()
            response = Client(raise_request_exception=False).post(
                "/api/v1/touchpoints/batch", data=body, content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "batch-1"})
            answers.append([response.status_code, response.has_header("Idempotent-Replayed")])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"answers": answers, "touchpoints": Touchpoint.objects.count()}))


if __name__ == "__main__":
    main()
