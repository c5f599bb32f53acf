"""Input no schema field guards on its own: each answers a 4xx in the error envelope, never a 500."""
from __future__ import annotations

import pytest

HUGE = str(2**64 + 7)


def assert_envelope(resp, status: int | tuple[int, ...]):
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.is_json and set(resp.json) == {"error"}, resp.get_data(as_text=True)[:300]
    return resp.json["error"]


@pytest.mark.parametrize("path", [f"/api/v1/filings/{HUGE}", f"/api/v1/filings/{HUGE}/documents/1",
                                  f"/api/v1/records/1/documents/{HUGE}", f"/api/v1/family-members/{HUGE}"])
def test_path_integers_beyond_a_database_integer_are_not_found(client, auth, path):
    assert_envelope(client.get(path, headers=auth), 404)
