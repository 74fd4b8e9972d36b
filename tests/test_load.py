"""A small classroom: 8 concurrent clients × 2 rounds over every public endpoint, with zero errors; and the load
test's own parts (loopback only, an older API's calls, the comparison table)."""

import pytest

from demos import BenchCase
from scripts.load_test import comparison_table, format_table, run_load, served_calls
from scripts.loopback import loopback_client


def test_concurrent_clients_get_answers(app_url):
    result = run_load(app_url, clients=8, rounds=2, deadline_s=600)
    assert not result["errors"], "\n".join(result["errors"][:10])
    calls = sum(len(samples) for samples in result["latencies"].values())
    assert calls == 8 * 2 * len(result["latencies"]), format_table(result)


@pytest.mark.parametrize("url", ["http://example.com/", "http://10.0.0.1:7860/", "https://huggingface.co/"])
def test_traffic_goes_to_loopback_only(url):
    with pytest.raises(ValueError, match="only loopback"):
        run_load(url, clients=1, rounds=1)
    with pytest.raises(ValueError, match="only loopback"):
        loopback_client(url)


def test_calls_leave_out_what_the_served_api_lacks(app_url):
    """A comparison with an older commit sends each endpoint only the parameters that commit's API has."""
    cases = [
        BenchCase("sample", "/vae_sample", None, {"model": "kl", "n": 4, "not_a_parameter": 1}, "number->image"),
        BenchCase("gone", "/no_such_endpoint", None, {"x": 1}, "number->image"),
        BenchCase("live", "/vae_train_live", None, {"regularizer": "kl"}, "number->plot+table"),
    ]
    assert served_calls(app_url, cases, without=["/vae_train_live"]) == [
        ("sample", "/vae_sample", {"model": "kl", "n": 4})
    ]


def test_comparison_marks_each_endpoint_by_its_p95():
    before = {"latencies": {"a": [0.1] * 19 + [1.0], "b": [0.1] * 20}}
    after = {"latencies": {"a": [0.1] * 20, "b": [0.1] * 19 + [1.0], "c": [0.2] * 20}}
    rows = comparison_table([before], [after], "abc1234").splitlines()
    assert rows[0].startswith("| endpoint | abc1234 p50 / p95 (ms)")
    assert rows[2].startswith("| a |") and rows[2].endswith("| ✓ |")
    assert rows[3].startswith("| b |") and rows[3].endswith("| ✗ |")
    assert rows[4] == "| c | (not served) | 200 / 200 | |"


def test_repeated_runs_are_pooled_and_each_runs_p95_shown():
    """Two runs a side: the verdict is on the p95 of all the calls, and each run's own p95 is in brackets."""
    fast, slow = {"latencies": {"a": [0.1] * 20}}, {"latencies": {"a": [0.1] * 18 + [1.0] * 2}}
    row = comparison_table([fast, slow], [fast, fast], "abc1234").splitlines()[2]
    assert row == "| a | 100 / 145 (100, 1000) | 100 / 100 (100, 100) | ✓ |"  # 2 slow calls of 40: p95 interpolates
    row = comparison_table([fast, fast], [slow, slow], "abc1234").splitlines()[2]
    assert row.endswith("| ✗ |")


def test_floor_cases_call_the_floor_apps_endpoints_queued_like_the_app(tmp_path):
    import app
    from demos.gradio_seam import events, queue_settings
    from scripts.bench import FLOORS, build_floor_app, floor_cases, write_blank_sketch

    floor = build_floor_app()
    served = {f"/{fn.api_name}" for fn in events(floor)}
    cases = floor_cases(write_blank_sketch(tmp_path / "sketch.png"))
    assert [case.api_name for case in cases] == list(FLOORS.values()) and set(FLOORS.values()) <= served
    assert queue_settings(floor) == (app.QUEUE_MAX_SIZE, app.DEFAULT_CONCURRENCY_LIMIT)
