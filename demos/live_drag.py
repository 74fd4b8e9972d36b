"""Slider drags that redraw at the speed of the hand: each step goes straight to the server and straight to the page.

Every Gradio event costs the browser a pass over the loading status of every output component of the whole app
(Gradio 6.31's frontend updates them all on each status message), so in this four-tab app one event per slider
step keeps the page busy ~150 ms, and a drag renders 3–4 steps a second where a one-tab app renders 7. During a
pointer drag of one of a tab's sliders, the browser code below therefore keeps the slider's `input` events from
Gradio, sends the controls' values to the tab's `step` function through the HTML component's server function
(one plain POST, no queue and no status messages), and writes what comes back into the page itself: Plotly
figures through `Plotly.react` on the charts already drawn, HTML (server-drawn SVG charts, tables) into the
blocks. On pointer-up it draws the final step, then hands the slider's final value to Gradio with one `input`
event; the tab's event (wrapped by `unless_drawn`) then sends nothing again, and every later Gradio answer is
marked fresh, so that Gradio never keeps a view the drag drew over. Keys, typing, presets and links use
Gradio's events as before; the public API is not involved.

`step(values, request)` receives {parameter: value as read from the page, "moved": parameter} (a control that is not drawn,
e.g. inside a hidden group, is missing) and returns
{"figures": {elem_id: plotly JSON}, "html": {elem_id: HTML}, "values": {elem_id: number for a box}} or
{"error": sentence}; it validates like the endpoint. The last step of a drag has "final": true (draw the whole
view) and "step_drawn": whether the step before it drew these very values already (then its part may be left out).
"""

import inspect
import itertools
import json
from collections.abc import Callable

import gradio as gr

# Reads the controls, sends a step whenever the previous one has come back (the newest values only), draws it.
DRIVER_JS = """
const config = CONFIG;
const panel = element.closest('[role="tabpanel"]') || document;
let dragging = null, busy = false, pending = null, generation = 0, last_drawn = null;
const slider_ids = new Set(Object.values(config.sliders));

function control(id) { return document.getElementById(id); }
function slider_block(target) {  // the slider's own block (its elem_id), if the target is one of ours
  for (let node = target; node; node = node.parentElement) if (slider_ids.has(node.id)) return node;
  return null;
}
function read(moved) {  // a control that is not drawn (inside a hidden group) is left out: `step` knows its default
  const values = {moved};
  const input = (id, selector) => control(id)?.querySelector(selector);
  for (const [name, id] of Object.entries(config.sliders)) { const e = input(id, 'input[type=range]'); if (e) values[name] = Number(e.value); }
  for (const [name, id] of Object.entries(config.numbers)) { const e = input(id, 'input'); if (e) values[name] = Number(e.value); }
  for (const [name, id] of Object.entries(config.texts)) { const e = input(id, 'input'); if (e) values[name] = e.value; }
  for (const [name, id] of Object.entries(config.checkboxes)) { const e = input(id, 'input[type=checkbox]'); if (e) values[name] = e.checked; }
  return values;
}
function draw(result) {
  if (!result || result.error) return;
  for (const [id, figure] of Object.entries(result.figures || {})) {
    const chart = document.querySelector(`#${id} .js-plotly-plot`);
    if (!chart || !window.Plotly) continue;
    figure.layout.autosize = true;
    figure.layout.margin = {...figure.layout.margin, autoexpand: true};
    window.Plotly.react(chart, figure.data, figure.layout, {responsive: true});
  }
  for (const [id, html] of Object.entries(result.html || {})) {
    const block = document.querySelector(`#${id} .prose`) || control(id);
    if (block) block.innerHTML = html;
  }
  for (const [id, value] of Object.entries(result.values || {})) {  // a number box the step computes (N from log N)
    const box = control(id)?.querySelector('input');
    if (box) box.value = value;
  }
}
async function pump() {
  if (busy || !pending) return;
  const values = pending, mine = generation;
  pending = null; busy = true;
  try {
    const result = await server.step(values);
    if (mine === generation) { draw(result); last_drawn = JSON.stringify(values); }
  } catch (error) {
    console.warn('live drag step failed', error);
  } finally {
    busy = false;
    if (pending) pump();
  }
}
panel.addEventListener('pointerdown', (event) => {
  if (event.target.matches('input[type=range]') && slider_block(event.target)) dragging = event.target;
}, true);
panel.addEventListener('input', (event) => {
  if (!dragging || event.target !== dragging || !event.isTrusted) return;
  event.stopImmediatePropagation();  // Gradio hears the final value only, on pointer-up
  const block = slider_block(dragging);
  const box = block.querySelector('input[type=number]');
  if (box) box.value = dragging.value;
  const moved = Object.keys(config.sliders).find((name) => config.sliders[name] === block.id);
  pending = read(moved);
  pump();
}, true);
document.addEventListener('pointerup', async () => {
  if (!dragging) return;
  const slider = dragging, block = slider_block(slider);
  dragging = null; pending = null; generation += 1;  // steps still on their way are not drawn
  await new Promise((resolve) => { const wait = () => (busy ? setTimeout(wait, 5) : resolve()); wait(); });
  const moved = Object.keys(config.sliders).find((name) => config.sliders[name] === block.id);
  let drawn = false;
  try {
    const values = read(moved);
    // The final view, straight away; what the last step drew for these very values is not drawn again.
    const result = await server.step({...values, final: true, step_drawn: JSON.stringify(values) === last_drawn});
    drawn = Boolean(result && !result.error);
    draw(result);
  } catch (error) {
    console.warn('live drag step failed', error);
  }
  // Gradio hears the final value (the slider's state, links); if the final view is drawn, its event sends none.
  window.gmlDrawnByDrag = drawn;
  slider.dispatchEvent(new Event('input', {bubbles: true}));
}, true);
"""


# The tab's control events take one more input, `drawn`, filled by this: whether a drag has just drawn the view.
AFTER_DRAG_JS = """(...values) => {
  const drawn = window.gmlDrawnByDrag === true;
  window.gmlDrawnByDrag = false;
  return [...values.slice(0, -1), drawn];
}"""
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


def attach(
    step: Callable[..., dict],
    sliders: dict[str, gr.Slider],
    numbers: dict[str, gr.components.Component] | None = None,
    texts: dict[str, gr.components.Component] | None = None,
    checkboxes: dict[str, gr.Checkbox] | None = None,
) -> gr.HTML:
    """Inside a tab: an invisible HTML block whose browser code drives live drags of `sliders` through `step`.

    Every control must have an elem_id; the dicts map the names `step` receives to the controls."""
    groups = {"sliders": sliders, "numbers": numbers or {}, "texts": texts or {}, "checkboxes": checkboxes or {}}
    config = {
        group: {name: component.elem_id for name, component in controls.items()} for group, controls in groups.items()
    }
    missing = [name for controls in config.values() for name, elem_id in controls.items() if not elem_id]
    if missing:
        raise ValueError(f"Controls without an elem_id cannot be read by the live drag: {missing}")

    def server_step(values, request: gr.Request = None):
        """The browser's call: one drag step, as JSON-ready data (validation errors become {"error": ...}), in the
        language of the page (`step` takes the request)."""
        try:
            return step(values if isinstance(values, dict) else {}, request=request)
        except gr.Error as error:
            return {"error": error.message}

    server_step.__name__ = "step"
    return gr.HTML(
        "",
        js_on_load=DRIVER_JS.replace("CONFIG", json.dumps(config)),
        server_functions=[server_step],
        elem_classes="gml-live-drag",
        padding=False,
    )


CSS = ".gml-live-drag { display: none !important; }  /* its browser code runs; it draws nothing itself */\n"
