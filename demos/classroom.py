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
from gradio.i18n import I18nData

from demos import gradio_seam, live_drag, static_text
from demos.language import DEFAULT_LANGUAGE, UI, request_language, t
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
    endpoints: list[gradio_seam.Event]  # the tab's public endpoints, run after a link set their inputs


def _tab_name(block) -> str | None:
    tab = next((parent for parent in gradio_seam.parents(block) if isinstance(parent, gr.Tab)), None)
    return tab.id if tab is not None else None


def _parameter_names(event: gradio_seam.Event) -> list[str]:
    names = [
        name
        for name, parameter in inspect.signature(event.fn).parameters.items()
        if parameter.annotation is not gr.Request
    ]
    return names[: len(event.inputs)]


VIEW_EVENTS = {"input", "change", "release"}


def _view_events(demo: gr.Blocks, tab: "LinkedTab") -> list[gradio_seam.Event]:
    """What a student's own move of the tab's controls runs to draw the page (the fullest such event: most outputs),
    as opposed to API-only endpoints whose outputs the page may never show; the public endpoints where none."""
    # (a control that opens a named case, not an API parameter, only loads that case: it draws no view itself)
    controls = {
        id(control.component) for control in tab.controls if gradio_seam.tag_of(control.component, "link_key") is None
    }
    views = [
        event
        for event in gradio_seam.events(demo)
        if event.fn is not None
        and (not event.js or event.js == live_drag.AFTER_DRAG_JS)  # (that one only adds the `drawn` flag)
        and any(id(block) in controls and name in VIEW_EVENTS for block, name in event.targets)
    ]
    return [max(views, key=lambda event: len(event.outputs))] if views else tab.endpoints


def linked_tabs(demo: gr.Blocks, tab_names: list[str]) -> dict[str, LinkedTab]:
    """Each tab's linkable controls, found from its public endpoints' inputs and parameter names, and the controls
    tagged with a query key of their own (gradio_seam.tag(control, "link_key", key))."""
    tabs = {name: LinkedTab(name, [], []) for name in tab_names}
    for event in gradio_seam.events(demo):
        if not event.api_name or event.api_visibility != "public" or not event.inputs:
            continue
        tab = tabs.get(_tab_name(event.inputs[0]))
        if tab is None:
            continue
        tab.endpoints.append(event)
        taken = {control.key for control in tab.controls}
        known = {id(control.component) for control in tab.controls}
        for name, component in zip(_parameter_names(event), event.inputs, strict=False):
            if not isinstance(component, LINKABLE) or id(component) in known:
                continue
            key = name if name not in taken else f"{event.api_name}.{name}"
            tab.controls.append(LinkedControl(key, component))
            taken.add(key)
    for block in gradio_seam.tagged(gradio_seam.blocks(demo), "link_key"):  # e.g. ?tab=vae&drawing=letter
        tab = tabs.get(_tab_name(block))
        if tab is not None:
            tab.controls.append(LinkedControl(gradio_seam.tag_of(block, "link_key"), block))
    return tabs


def _choices(component) -> list:
    return [choice[1] if isinstance(choice, (tuple, list)) else choice for choice in (component.choices or [])]


def _label(component, lang: str) -> str:
    """The control's label as the page shows it (a catalogued label in the page's language)."""
    label = component.label
    if isinstance(label, I18nData):
        return t(label.key, lang)
    return label or t("classroom.unnamed", lang)


def parse_value(component, text: str, lang: str = DEFAULT_LANGUAGE):
    """(value or None, notice or None) for one query value, clamped to what the control accepts."""
    label, typed = _label(component, lang), text[:20]
    if isinstance(component, gr.Checkbox):
        word = text.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS, None
        return None, t("classroom.not_a_flag", lang, label=label, text=typed)
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        choices = _choices(component)
        if text in choices:
            return text, None
        return None, t("classroom.not_a_choice", lang, label=label, choices=", ".join(map(str, choices)), text=typed)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return None, t("classroom.not_a_number", lang, label=label, text=typed)
    low = getattr(component, "minimum", None)
    high = getattr(component, "maximum", None)
    clamped = min(max(value, low if low is not None else -math.inf), high if high is not None else math.inf)
    if getattr(component, "precision", None) == 0:
        clamped = round(clamped)
    if clamped == value:
        return clamped, None
    return clamped, t("classroom.clamped", lang, label=label, value=f"{value:g}", clamped=f"{clamped:g}")


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
        notices.append(t("classroom.no_tab", lang, tab=tab[:20], tabs=", ".join(tabs)))
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
            notices.append(t("classroom.unknown_key", lang, key=key[:20], tab=tab))
            continue
        value, said = parse_value(control.component, text, lang)
        if value is not None:
            values[id(control.component)] = value
        if said:
            notices.append(said)
    return LinkedView(tab, values, notices)


def copy_link_js(tab: LinkedTab) -> str:
    """Browser code for "Copy link to this view": the tab's current values as query parameters (demos/static/
    copy_link.js, given the tab's name, its keys and the page-wide keys a link keeps)."""
    keys = json.dumps([control.key for control in tab.controls])
    return f"({static_text('copy_link.js')})({json.dumps(tab.name)}, {keys}, {json.dumps(RESERVED_KEYS[1:])})"


LECTURE_JS = static_text("lecture.js")  # the lecture-mode checkbox: the projector styles on or off
LECTURE_CSS = static_text("lecture.css")  # projector text, about 1.35× larger


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
        for event in _view_events(demo, tab):
            loaded.then(
                _rerun_if_linked(event, tab.name),
                [state, *event.inputs],
                [notice, *event.outputs],
                api_visibility="private",
                show_progress="hidden",
                preprocess=event.preprocess,
            )


def _rerun_if_linked(event: gradio_seam.Event, tab_name: str):
    """The tab's view, run once on load after a link for its tab, or on a page in another language than the
    app's English (when the view speaks the page's language); a value the view refuses becomes the notice."""
    skip_all = (gr.skip(),) * (1 + len(event.outputs))
    takes_request = gradio_seam.takes_request(event.fn)  # (Gradio reads the hint on a plain function only)

    def rerun(request: gr.Request, state, *values):
        linked = bool(state) and state.get("tab") == tab_name
        translated = bool(state) and state.get("lang", DEFAULT_LANGUAGE) != DEFAULT_LANGUAGE
        if not (linked or (translated and takes_request)):
            return skip_all
        arguments = list(values)
        if takes_request:  # the request where Gradio itself would put it (defaults filled before it)
            arguments = gradio_seam.with_request(event.fn, arguments, request)
        try:
            result = event.fn(*arguments)
        except gr.Error as error:
            lang = request_language(request)
            sentence = said_in(error, lang).message  # (a view under friendly_errors has said it in `lang` already)
            said = t("classroom.not_used", lang, error=sentence) if linked else sentence
            return (gr.Markdown(said, visible=True),) + skip_all[1:]
        outputs = result if isinstance(result, tuple) else (result,)
        return (gr.skip(), *outputs)

    return rerun
