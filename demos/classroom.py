"""Classroom glue: every view is a link, and a lecture mode for the projector.

A link's query keys are the public API's parameter names (`/?tab=divergences&mu1=2&sigma1=0.5`), plus `tab`, `lang`
and `lecture`. Where two endpoints of a tab share a parameter name (the VAE tab's `n`), the second one is reached
as `<endpoint>.<name>` (`vae_metrics.n=2000`). Values are clamped to the control's range or ignored, with a
one-line notice on the page, never an error. The link is read on page load; the tab's endpoints then run with
the linked values, so the page opens with its plots and tables computed. "Copy link to this view" writes the
tab's current controls into the address bar (query parameters, no server-side state: links survive a restart).

The notices are in the page's language (demos/texts/classroom/strings.<lang>.json). On a Persian page every tab
whose view speaks the page's language (its view event takes a `gr.Request`) is drawn again on load, so that the
plots and tables the page was built with (in English) are replaced by Persian ones.
"""

import inspect
import json
import math
from typing import NamedTuple

import gradio as gr
from gradio import utils as gradio_utils
from gradio.helpers import special_args
from gradio.i18n import I18nData

from demos import bidi, live_drag
from demos.language import DEFAULT_LANGUAGE, UI, request_language, t, tab_string
from demos.validation import said_in

RESERVED_KEYS = ("tab", "lang", "lecture")
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
LINKABLE = (gr.Slider, gr.Number, gr.Dropdown, gr.Radio, gr.Checkbox)


class LinkedControl(NamedTuple):
    key: str  # the query key: the API parameter name (endpoint-qualified when a tab has it twice)
    component: gr.components.Component


class LinkedTab(NamedTuple):
    name: str
    controls: list[LinkedControl]
    endpoints: list  # the tab's public BlockFunctions, run after a link set their inputs


def _tab_name(block) -> str | None:
    while block is not None and not isinstance(block, gr.Tab):
        block = getattr(block, "parent", None)
    return block.id if block is not None else None


def _parameter_names(block_fn) -> list[str]:
    names = [
        name
        for name, parameter in inspect.signature(block_fn.fn).parameters.items()
        if parameter.annotation is not gr.Request
    ]
    return names[: len(block_fn.inputs)]


VIEW_EVENTS = {"input", "change", "release"}


def _view_events(demo: gr.Blocks, tab: "LinkedTab") -> list:
    """What a student's own move of the tab's controls runs to draw the page (the fullest such event: most outputs),
    as opposed to API-only endpoints whose outputs the page may never show; the public endpoints where none."""
    # (a control that opens a named case, not an API parameter, only loads that case: it draws no view itself)
    controls = {control.component._id for control in tab.controls if not hasattr(control.component, "gml_link_key")}
    events = [
        block_fn
        for block_fn in demo.fns.values()
        if block_fn.fn is not None
        and (not block_fn.js or block_fn.js == live_drag.AFTER_DRAG_JS)  # (that one only adds the `drawn` flag)
        and any(target[0] in controls and target[1] in VIEW_EVENTS for target in block_fn.targets)
    ]
    return [max(events, key=lambda block_fn: len(block_fn.outputs))] if events else tab.endpoints


def linked_tabs(demo: gr.Blocks, tab_names: list[str]) -> dict[str, LinkedTab]:
    """Each tab's linkable controls, found from its public endpoints' inputs and parameter names."""
    tabs = {name: LinkedTab(name, [], []) for name in tab_names}
    for block_fn in demo.fns.values():
        if not block_fn.api_name or block_fn.api_visibility != "public" or not block_fn.inputs:
            continue
        tab = tabs.get(_tab_name(block_fn.inputs[0]))
        if tab is None:
            continue
        tab.endpoints.append(block_fn)
        taken = {control.key for control in tab.controls}
        known = {id(control.component) for control in tab.controls}
        for name, component in zip(_parameter_names(block_fn), block_fn.inputs, strict=False):
            if not isinstance(component, LINKABLE) or id(component) in known:
                continue
            key = name if name not in taken else f"{block_fn.api_name}.{name}"
            tab.controls.append(LinkedControl(key, component))
            taken.add(key)
    for block in demo.blocks.values():  # controls that open a named case (e.g. ?tab=vae&drawing=letter)
        tab = tabs.get(_tab_name(block)) if hasattr(block, "gml_link_key") else None
        if tab is not None:
            tab.controls.append(LinkedControl(block.gml_link_key, block))
    return tabs


def _choices(component) -> list:
    return [choice[1] if isinstance(choice, (tuple, list)) else choice for choice in (component.choices or [])]


def notice(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: str) -> str:
    """A link notice in `lang`; the values (labels, numbers, keys as typed) stay left to right in Persian."""
    return tab_string("classroom", key, lang, **{name: bidi.ltr(value, lang) for name, value in values.items()})


def _label(component, lang: str) -> str:
    """The control's label as the page shows it (a catalogued label in the page's language)."""
    label = component.label
    if isinstance(label, I18nData):
        return t(label.key, lang)
    return label or tab_string("classroom", "unnamed", lang)


def parse_value(component, text: str, lang: str = DEFAULT_LANGUAGE):
    """(value or None, notice or None) for one query value, clamped to what the control accepts."""
    label, typed = _label(component, lang), text[:20]
    if isinstance(component, gr.Checkbox):
        word = text.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS, None
        return None, notice("not_a_flag", lang, label=label, text=typed)
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        choices = _choices(component)
        if text in choices:
            return text, None
        return None, notice("not_a_choice", lang, label=label, choices=", ".join(map(str, choices)), text=typed)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return None, notice("not_a_number", lang, label=label, text=typed)
    low = getattr(component, "minimum", None)
    high = getattr(component, "maximum", None)
    clamped = min(max(value, low if low is not None else -math.inf), high if high is not None else math.inf)
    if getattr(component, "precision", None) == 0:
        clamped = round(clamped)
    if clamped == value:
        return clamped, None
    return clamped, notice("clamped", lang, label=label, value=f"{value:g}", clamped=f"{clamped:g}")


class LinkedView(NamedTuple):
    tab: str | None
    values: dict  # id(component) -> value
    notices: list[str]


def parse_link(query: dict[str, str], tabs: dict[str, LinkedTab], lang: str = DEFAULT_LANGUAGE) -> LinkedView:
    """What a link asks for: the tab, the controls' values and a notice per value that was clamped or ignored
    (in `lang`, the page's language)."""
    notices = []
    tab = query.get("tab")
    if tab is not None and tab not in tabs:
        notices.append(notice("no_tab", lang, tab=tab[:20], tabs=", ".join(tabs)))
        tab = None
    if tab is None and any(key not in RESERVED_KEYS for key in query):
        tab = next(iter(tabs))  # a link without `tab` means the first tab, as the page opens
    by_key = {control.key: control for control in tabs[tab].controls} if tab else {}
    values = {}
    for key, text in query.items():
        if key in RESERVED_KEYS:
            continue
        control = by_key.get(key)
        if control is None:
            notices.append(notice("unknown_key", lang, key=key[:20], tab=tab))
            continue
        value, said = parse_value(control.component, text, lang)
        if value is not None:
            values[id(control.component)] = value
        if said:
            notices.append(said)
    return LinkedView(tab, values, notices)


def copy_link_js(tab: LinkedTab) -> str:
    """Browser code for "Copy link to this view": the tab's current values as query parameters."""
    keys = json.dumps([control.key for control in tab.controls])
    return f"""(...values) => {{
        const params = new URLSearchParams({{tab: {json.dumps(tab.name)}}});
        {keys}.forEach((key, i) => {{ if (values[i] !== null && values[i] !== undefined) params.set(key, values[i]); }});
        const current = new URLSearchParams(window.location.search);
        for (const key of {json.dumps(RESERVED_KEYS[1:])}) if (current.get(key)) params.set(key, current.get(key));
        const url = window.location.origin + window.location.pathname + "?" + params.toString();
        window.history.replaceState(null, "", url);
        if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {{}});
        return url;
    }}"""


LECTURE_JS = """(on) => {
    document.body.classList.toggle("gml-lecture", Boolean(on));
    const params = new URLSearchParams(window.location.search);
    if (on) params.set("lecture", "1"); else params.delete("lecture");
    window.history.replaceState(null, "", window.location.pathname + (params.size ? "?" + params : ""));
}"""

# Projector text: Gradio's type scale and Plotly's SVG text, each about 1.35× (Plotly writes sizes inline, so only
# !important reaches them); no element may push the page wider than the screen.
LECTURE_CSS = """
body.gml-lecture gradio-app { --text-xxs: 13px; --text-xs: 14px; --text-sm: 17px; --text-md: 19px; --text-lg: 22px;
  --text-xl: 29px; --text-xxl: 35px; --block-label-text-size: 17px; --block-info-text-size: 17px;
  --input-text-size: 19px; --section-header-text-size: 19px; --button-large-text-size: 22px;
  --button-small-text-size: 17px; --prose-text-size: 19px; }
body.gml-lecture .prose, body.gml-lecture .md { font-size: 19px; }
body.gml-lecture .js-plotly-plot .gtitle { font-size: 23px !important; }
body.gml-lecture .js-plotly-plot .xtick text, body.gml-lecture .js-plotly-plot .ytick text,
body.gml-lecture .js-plotly-plot .legendtext, body.gml-lecture .js-plotly-plot .annotation-text { font-size: 16px !important; }
body.gml-lecture .js-plotly-plot .g-xtitle text, body.gml-lecture .js-plotly-plot .g-ytitle text { font-size: 18px !important; }
body.gml-lecture .gml-explanation { display: none; }
body.gml-lecture, body.gml-lecture gradio-app { overflow-x: hidden; }
"""


def add_link_controls(tab: LinkedTab) -> None:
    """Inside a tab: the "Copy link to this view" button and the link it wrote."""
    with gr.Row(elem_classes="gml-link-row"):
        button = gr.Button(UI("classroom.copy_link"), size="sm", scale=0, min_width=220)
        link = gr.Textbox(show_label=False, placeholder=UI("classroom.link_placeholder"), interactive=False, scale=3)
    button.click(
        None, [control.component for control in tab.controls], link, js=copy_link_js(tab), api_visibility="private"
    )


def wire_links(demo: gr.Blocks, tabs_block: gr.Tabs, tabs: dict[str, LinkedTab], notice, lecture) -> None:
    """On page load: select the linked tab, set its controls, show the notices, then run the tab's endpoints."""
    components = [control.component for tab in tabs.values() for control in tab.controls]

    def apply(request: gr.Request):
        query = dict(request.query_params) if request is not None else {}
        lang = request_language(request)
        view = parse_link(query, tabs, lang)
        updates = [gr.update(value=view.values[id(c)]) if id(c) in view.values else gr.skip() for c in components]
        return (
            gr.Tabs(selected=view.tab) if view.tab else gr.skip(),
            gr.Markdown(" · ".join(view.notices), visible=bool(view.notices)),
            query.get("lecture") == "1",
            {"tab": view.tab, "lang": lang},
            *updates,
        )

    state = gr.State()
    loaded = demo.load(
        apply, None, [tabs_block, notice, lecture, state, *components], api_visibility="private", show_progress="hidden"
    )
    for tab in tabs.values():
        for block_fn in _view_events(demo, tab):
            loaded.then(
                _rerun_if_linked(block_fn, tab.name),
                [state, *block_fn.inputs],
                [notice, *block_fn.outputs],
                api_visibility="private",
                show_progress="hidden",
                preprocess=block_fn.preprocess,
            )


def _takes_request(fn) -> bool:
    """Whether Gradio passes fn the request: a parameter annotated gr.Request, its hint read as Gradio reads it (not
    through a functools.partial, for instance)."""
    hints = gradio_utils.get_type_hints(fn)
    return any(hints.get(name) in (gr.Request, gr.Request | None) for name in inspect.signature(fn).parameters)


def _rerun_if_linked(block_fn, tab_name: str):
    """The tab's view, run once on load after a link for its tab, or on a page in another language than the
    app's English (when the view speaks the page's language); a value the view refuses becomes the notice."""
    skip_all = (gr.skip(),) * (1 + len(block_fn.outputs))
    takes_request = _takes_request(block_fn.fn)

    def rerun(request: gr.Request, state, *values):
        linked = bool(state) and state.get("tab") == tab_name
        translated = bool(state) and state.get("lang", DEFAULT_LANGUAGE) != DEFAULT_LANGUAGE
        if not (linked or (translated and takes_request)):
            return skip_all
        arguments = list(values)
        if takes_request:  # the request where Gradio itself would put it (defaults filled before it)
            arguments, *_ = special_args(block_fn.fn, arguments, request)
        try:
            result = block_fn.fn(*arguments)
        except gr.Error as error:
            lang = request_language(request)
            sentence = said_in(error, lang).message  # (a view under friendly_errors has said it in `lang` already)
            said = tab_string("classroom", "not_used", lang, error=sentence) if linked else sentence
            return (gr.Markdown(said, visible=True),) + skip_all[1:]
        outputs = result if isinstance(result, tuple) else (result,)
        return (gr.skip(), *outputs)

    return rerun
