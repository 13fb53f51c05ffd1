"""Chapter 01's request log: pages, attempts and the waits the loader recorded, per request."""

from __future__ import annotations

from dataclasses import dataclass

from microproduct.billing_api import RequestRecord
from workbook.ch01_ingest import retries


@dataclass
class FakeAPI:
    requests: list[RequestRecord]


def record(index: int, path: str, cursor: str | None, status: int) -> RequestRecord:
    query = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
    return RequestRecord(index, path, query, status)


def test_request_log_counts_pages_attempts_and_places_each_wait_on_the_retried_request() -> None:
    api = FakeAPI(
        [
            record(0, "/v1/invoices", None, 429),
            record(1, "/v1/invoices", None, 200),
            record(2, "/v1/invoices", "c1", 200),
            record(3, "/v1/payments", None, 200),
            record(4, "/v1/payments", "c2", 503),
            record(5, "/v1/payments", "c2", 200),
            record(6, "/v1/refunds", None, 401),  # terminal: not retried, no wait
        ]
    )
    log = retries.request_log(api, waits=[2.0, 0.74])
    assert log["request"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert log["page"].tolist() == [1, 1, 2, 1, 2, 2, 1]
    assert log["attempt"].tolist() == [1, 2, 1, 1, 1, 2, 1]
    waited = log["waited_s"].tolist()
    assert waited[0] == 2.0 and waited[4] == 0.7
    assert log["waited_s"].isna().tolist() == [False, True, True, True, False, True, True]


def test_request_log_gives_a_new_endpoint_page_one_even_with_the_same_cursor() -> None:
    api = FakeAPI([record(0, "/v1/invoices", None, 429), record(1, "/v1/payments", None, 200)])
    log = retries.request_log(api, waits=[2.0])
    assert log["page"].tolist() == [1, 1] and log["attempt"].tolist() == [1, 1]
    assert log["waited_s"].isna().all()  # the 429 was not retried on the same endpoint
