"""Slider drags that redraw at the speed of the hand, for a whole class at once: the page computes each step itself.

A class of sixty dragging together would send the server ~500 steps a second, several times what one 2-core machine
serves (docs/live_sliders.md, scripts/class_load.py). So during a pointer drag of one of a tab's sliders, the
browser code (demos/static/live_drag.js) keeps the slider's `input` events from Gradio, computes the step from the
controls' values with the tab's maths in JavaScript (demos/static/live_math.js, a mirror of models/ that
tests/test_live_math.py checks against it) and draws it into the page (demos/static/live_views.js): SVG charts
(demos/charts.py's mirror), table cells and sentences into their blocks. No request is sent during the drag. On pointer-up the page asks the tab's `final_view` once, through the HTML component's server
function (one plain POST, no queue and no status messages; the server's own numbers, seeded draws and quad checks
replace the page's), draws it, then hands the final values to Gradio without a request: the block's own `click`
event, triggered from the page, has no server function and sets the sliders (and the boxes the final view filled,
such as N) to what the page shows, so that Gradio's later events read them. A class's releases therefore cost the
server one plain POST each, no queued event. Every later Gradio answer is marked fresh, so that Gradio never keeps a
view the drag drew over. Two cases still send the slider's `input` event through Gradio's queue: the final view was
refused (its sentence then reaches the page as Gradio's error toast, like every other refused value), or a block
the drag does not draw is shown (`event_if_shown`, e.g. tab 1's homework numbers, typeset by Gradio's Markdown); the
tab's event (wrapped by `unless_drawn`) then knows the view is drawn and sends only what is missing. Keys, typing,
presets and links use Gradio's events as before; the public API is not involved.

`final_view(values, request)` receives {parameter: value as read from the page, "moved": parameter, "final": true}
(a control that is not drawn, e.g. inside a hidden group, is missing) and returns
{"html": {elem_id: HTML}, "values": {elem_id: number for a box}} or {"error": sentence}; it validates like the
endpoint.
"""

import inspect
import itertools
import json
from collections.abc import Callable

import gradio as gr

from demos import static_text

# The tab's control events take one more input, `drawn`, filled by this: whether a drag has just drawn the view.
AFTER_DRAG_JS = static_text("after_drag.js")
# The values a drawn drag leaves in the page, for Gradio (the driver sets them before it triggers the event).
SYNC_JS = static_text("drag_sync.js")
_answers = itertools.count()


def answer_number() -> int:
    """A number no earlier answer had (see fresh)."""
    return next(_answers)


def fresh(value):
    """An HTML answer made unlike every earlier one (a numbered comment). A drag draws into the page behind
    Gradio's back, so Gradio's copy of a block may be stale; an answer equal to that copy would not be drawn."""
    return f"{value}<!-- {answer_number()} -->" if isinstance(value, str) and value.startswith("<") else value


def unless_drawn(fn: Callable, outputs: int) -> Callable:
    """`fn` as the event of a tab's controls, with one more input, `drawn` (after fn's own, before its request):
    right after a live drag drew the final view, nothing is sent again; otherwise `fn`'s answer, HTML made fresh.

    The event's signature says so, since Gradio places the request by the signature."""
    signature = inspect.signature(fn)
    own = [parameter for parameter in signature.parameters.values() if parameter.name != "request"]
    drawn = inspect.Parameter("drawn", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False)
    request = [signature.parameters["request"]] if "request" in signature.parameters else []
    event_signature = signature.replace(parameters=[*own, drawn, *request])

    def event(*args, **kwargs):
        arguments = event_signature.bind(*args, **kwargs).arguments
        if arguments.pop("drawn", False) is True:
            return (gr.skip(),) * outputs
        answer = fn(**arguments)
        return tuple(fresh(value) for value in answer) if isinstance(answer, tuple) else fresh(answer)

    event.__signature__ = event_signature
    event.__annotations__ = dict(getattr(fn, "__annotations__", {}))  # Gradio finds gr.Request by its type hint
    event.__name__, event.__doc__ = fn.__name__, fn.__doc__
    return event


def drawn_flag() -> gr.Checkbox:
    """The hidden input that AFTER_DRAG_JS fills."""
    return gr.Checkbox(False, visible=False)


# The maths and views first (each defines a window global), then the driver, which reads `config`.
BROWSER_CODE = "\n".join(
    [static_text("live_math.js"), static_text("live_views.js"), "const config = CONFIG;", static_text("live_drag.js")]
)


def attach(
    final_view: Callable[..., dict],
    view: str,
    live: dict,
    sliders: dict[str, gr.Slider],
    numbers: dict[str, gr.components.Component] | None = None,
    texts: dict[str, gr.components.Component] | None = None,
    checkboxes: dict[str, gr.Checkbox] | None = None,
    filled: list[gr.Number] | None = None,
    event_if_shown: list[gr.components.Component] | None = None,
) -> gr.HTML:
    """Inside a tab: an invisible HTML block whose browser code drives live drags of `sliders`: each step drawn by
    window.gmlLiveViews[view](live, values) in the page, the final one by `final_view` on the server.

    Every control must have an elem_id; the dicts map the names the views receive to the controls. `filled`: the
    number boxes whose value the final view may set ("values"); `event_if_shown`: blocks the drag does not draw,
    which, while shown, need the slider's own event after the drag."""
    groups = {"sliders": sliders, "numbers": numbers or {}, "texts": texts or {}, "checkboxes": checkboxes or {}}
    config = {
        group: {name: component.elem_id for name, component in controls.items()} for group, controls in groups.items()
    }
    synced = [*sliders.values(), *(filled or [])]  # what Gradio is told after a drawn drag, in this order
    config |= {
        "view": view,
        "live": live,
        "synced": [component.elem_id for component in synced],
        "event_if_shown": [block.elem_id for block in event_if_shown or []],
    }
    missing = [name for controls in groups.values() for name, block in controls.items() if not block.elem_id]
    missing += [block for block in [*synced, *(event_if_shown or [])] if not block.elem_id]
    if missing:
        raise ValueError(f"Controls without an elem_id cannot be read by the live drag: {missing}")

    def server_step(values, request: gr.Request = None):
        """The browser's call on release: the final view, as JSON-ready data (validation errors become
        {"error": ...}), in the language of the page (`final_view` takes the request)."""
        try:
            return final_view(values if isinstance(values, dict) else {}, request=request)
        except gr.Error as error:
            return {"error": error.message}

    server_step.__name__ = "step"
    block = gr.HTML(
        "",
        js_on_load=BROWSER_CODE.replace("const config = CONFIG;", f"const config = {json.dumps(config)};"),
        server_functions=[server_step],
        elem_classes="gml-live-drag",
        padding=False,
    )
    # After a drawn drag the page triggers this event: no server function, so no request; it sets Gradio's values.
    block.click(None, None, synced, js=SYNC_JS.replace("VIEW", json.dumps(view)), show_progress="hidden")
    return block


CSS = ".gml-live-drag { display: none !important; }  /* its browser code runs; it draws nothing itself */\n"
