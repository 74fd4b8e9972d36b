"""demos/live_drag.py: what the tab's event does right after a drag drew the view, and how it keeps Gradio honest."""

import inspect

import gradio as gr

from demos import live_drag


def view(mu, sigma, request: gr.Request = None):
    return f"<p>{mu}</p>", f"<p>{sigma}</p>"


def test_after_a_drawn_drag_the_event_sends_nothing_and_otherwise_fresh_html():
    event = live_drag.unless_drawn(view, 2)
    assert event(1, 2, True) == (gr.skip(), gr.skip())
    first, second = event(1, 2, False), event(1, 2, False)
    assert first[0].startswith("<p>1</p>") and second[0].startswith("<p>1</p>")
    assert first != second  # equal answers would let Gradio keep a view the drag drew over
    assert live_drag.fresh(3.5) == 3.5  # only HTML is numbered


def test_the_event_takes_drawn_after_the_views_inputs_and_before_the_request():
    event = live_drag.unless_drawn(view, 2)
    assert list(inspect.signature(event).parameters) == ["mu", "sigma", "drawn", "request"]
    assert event.__annotations__["request"] is gr.Request  # how Gradio finds where to put the request
    assert event(1, 2, False, None)[1].startswith("<p>2</p>")


def test_a_step_refused_by_its_validators_answers_with_their_sentence():
    from demos import estimators

    with gr.Blocks():
        sliders = {"mu": gr.Slider(elem_id="test-mu")}
        block = live_drag.attach(estimators.drag_step, "estimators", estimators.live_config(), sliders)
    answer = block.step({**estimators.DEFAULTS, "log_n": 1.0, "repeats": -1, "moved": "repeats"})
    assert set(answer) == {"error"} and "repeats" in answer["error"]
    assert "error" in block.step("not a dict")  # anything else is no step: the validators say what is missing
    ok = block.step({**estimators.DEFAULTS, "log_n": 1.0, "moved": "mu"})
    assert set(ok) == {"html", "values"}
