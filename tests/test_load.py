"""A small classroom: 8 concurrent clients × 2 rounds over every public endpoint, with zero errors."""

from scripts.load_test import format_table, run_load


def test_concurrent_clients_get_answers(app_url):
    result = run_load(app_url, clients=8, rounds=2, deadline_s=600)
    assert not result["errors"], "\n".join(result["errors"][:10])
    calls = sum(len(samples) for samples in result["latencies"].values())
    assert calls == 8 * 2 * len(result["latencies"]), format_table(result)
