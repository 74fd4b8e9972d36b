"""The seam to Gradio (demos/gradio_seam.py): one contract test per Gradio internal it relies on, each failing when
the installed Gradio changed that internal; and scans that keep every such use inside the seam, and the browser's
code and styles in demos/static/."""

import ast
import functools
import inspect
import json
import pkgutil
import re
from pathlib import Path

import gradio
import gradio as gr
import numpy as np
import pytest
from gradio import processing_utils, route_utils
from PIL import Image

from demos import classroom, gradio_seam, language, live_drag, static_text

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = Path(gradio.__file__).resolve().parent / "templates" / "frontend"

# --- Contracts: each internal the seam relies on still exists and behaves as used ----------------------------------


def test_events_are_gradios_registered_listeners_and_their_index_is_the_pages():
    def add(x, request: gr.Request = None):
        return x

    with gr.Blocks() as demo:
        number, out, button = gr.Number(1), gr.Number(), gr.Button()
        button.click(add, number, out, api_name="add", js="(x) => x", concurrency_id="q", concurrency_limit=3)
        number.change(None, number, out, js="(x) => x", preprocess=False, api_visibility="private")
        demo.load(add, number, out, api_visibility="undocumented")
    click, change, load = gradio_seam.events(demo)
    assert (click.fn, click.name, click.inputs, click.outputs) == (add, "add", [number], [out])
    assert click.targets == [(button, "click")] and change.targets == [(number, "change")]
    assert load.targets == [(demo, "load")]  # the page's own load event: the Blocks itself
    assert (click.api_name, click.api_visibility, click.js, click.preprocess) == ("add", "public", "(x) => x", True)
    assert (click.concurrency_id, click.concurrency_limit) == ("q", 3)
    assert (change.fn, change.name, change.preprocess, change.api_visibility) == (None, None, False, "private")
    assert load.api_visibility == "undocumented"
    # the index is the id the page sends to run an event (fn_index)
    assert [event.index for event in (click, change, load)] == [
        dependency["id"] for dependency in demo.get_config_file()["dependencies"]
    ]


def test_blocks_are_in_the_order_made_and_know_their_layouts():
    with gr.Blocks() as demo, gr.Tabs() as tabs, gr.Tab("t", id="t") as tab:
        with gr.Row() as row:
            slider = gr.Slider()
        text = gr.Markdown()
    made = [tabs, tab, row, slider, text]
    assert [block for block in gradio_seam.blocks(demo) if block in made] == made  # (Gradio adds forms of its own)
    assert [layout for layout in gradio_seam.parents(slider) if layout in made] == [row, tab, tabs]
    assert [layout for layout in gradio_seam.parents(text) if layout in made] == [tab, tabs]


def test_with_request_puts_the_request_where_gradio_passes_it():
    def view(x, request: gr.Request = None, y=2):
        return x

    def optional(x, y, request: gr.Request | None = None):
        return x

    def plain(x, y=2):
        return x

    marker = object()
    assert gradio_seam.with_request(view, [1], marker) == [1, marker, 2]  # defaults filled after it, as Gradio does
    assert gradio_seam.with_request(optional, [1, 2], marker) == [1, 2, marker]
    assert gradio_seam.with_request(plain, [1, 3], marker) == [1, 3]
    assert gradio_seam.takes_request(view) and gradio_seam.takes_request(optional)
    assert not gradio_seam.takes_request(plain)
    assert not gradio_seam.takes_request(functools.partial(view, 1))  # Gradio does not read a partial's hints
    import gradio.blocks

    assert gradio.blocks.special_args is gradio_seam.special_args  # what Gradio itself calls events with


def test_queue_settings_are_what_queue_was_given():
    with gr.Blocks() as demo:
        gr.Number()
    demo.queue(max_size=7, default_concurrency_limit=3)
    assert gradio_seam.queue_settings(demo) == gradio_seam.QueueSettings(max_size=7, default_concurrency_limit=3)


def test_monitoring_summary_rebuilds_are_the_queues_dataframes(monkeypatch):
    """The summary is rebuilt with `_get_df` once GRADIO_ANALYTICS_CACHE_FREQUENCY events were recorded since the
    last one (the cached one otherwise); the seam counts each rebuild and leaves the queue as it was."""
    monkeypatch.setenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", "3")
    with gr.Blocks() as demo:
        gr.Number()
    demo.queue()
    queue = demo._queue
    records = [{"function": "f", "status": "success", "process_time": 0.1}] * 2
    with gradio_seam.monitoring_summary_rebuilds(demo) as rebuilds:
        queue.events_recorded = 3
        first = queue.compute_analytics_summary(records)  # 3 events since the last summary: rebuilt
        assert queue.compute_analytics_summary(records) is first  # none since: the cached one
    assert rebuilds == [2] and first["functions"]["f"]["total_requests"] == 2
    assert "_get_df" not in vars(queue) and "_get_df" in inspect.getsource(type(queue).compute_analytics_summary)


def test_tags_stay_on_the_blocks_and_out_of_the_pages_config():
    with gr.Blocks() as demo:
        text = gradio_seam.tag(gr.Markdown("a"), "text", ("tab", "part", None, None))
        plain = gr.Markdown("b")
    assert gradio_seam.tagged(gradio_seam.blocks(demo), "text") == [text]
    assert gradio_seam.tag_of(text, "text") == ("tab", "part", None, None)
    assert gradio_seam.tag_of(plain, "text") is None and gradio_seam.tag_of(plain, "untranslated", False) is False
    assert gradio_seam.TAG_PREFIX not in json.dumps(demo.get_config_file(), default=str)
    gradio_names = {name for block in (gr.Markdown, gr.Radio, gr.Blocks) for name in dir(block)}
    assert not [name for name in gradio_names if name.startswith(gradio_seam.TAG_PREFIX)]


def test_a_property_set_before_launch_is_what_the_page_gets():
    with gr.Blocks():
        box, radio = gr.Textbox(label="a"), gr.Radio([("one", "1")], label="r")
    gradio_seam.set_property(box, "label", "b")
    gradio_seam.set_property(radio, "choices", [("uno", "1")])
    assert box.get_config()["label"] == "b"
    assert [list(choice) for choice in radio.get_config()["choices"]] == [["uno", "1"]]


def test_the_upload_folder_is_where_gradio_keeps_what_it_receives(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    assert gradio_seam.upload_folder() == (tmp_path / "uploads").resolve()
    assert Path(gr.File().GRADIO_CACHE).resolve() == gradio_seam.upload_folder()  # (a component's own cache)


def test_the_image_writer_gradio_calls_can_be_replaced_and_names_files_by_their_bytes(tmp_path):
    assert list(inspect.signature(gradio_seam.GRADIO_SAVE_PIL_TO_CACHE).parameters) == [
        "img",
        "cache_dir",
        "name",
        "format",
    ]
    image = Image.fromarray(np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3))
    path = Path(gradio_seam.GRADIO_SAVE_PIL_TO_CACHE(image, str(tmp_path), format="png"))
    data = gradio_seam.encode_image(image, "png")
    assert path == (tmp_path / gradio_seam.cache_name(data) / "image.png").resolve() and path.read_bytes() == data
    assert re.fullmatch(r"[0-9a-f]{64}", gradio_seam.cache_name(data))
    image.info["Software"] = "gml"
    assert [chunk[:2] for chunk in gradio_seam.png_metadata(image).chunks] == [(b"tEXt", b"Software\x00gml")]

    calls, before = [], gradio_seam.image_writer()
    gradio_seam.replace_image_writer(lambda img, cache_dir, name="image", format="webp": calls.append(format) or "x")
    try:
        assert processing_utils.save_pil_to_cache is gradio_seam.image_writer()
        gr.Image(format="png").postprocess(image)  # what an image output does with a returned picture
    finally:
        gradio_seam.replace_image_writer(before)
    assert calls == ["png"]


def test_the_cache_sweep_is_the_one_delete_cache_schedules(tmp_path):
    kept, old = tmp_path / "kept.png", tmp_path / "old.png"
    kept.write_bytes(b"1")
    old.write_bytes(b"2")
    gradio_seam.sweep_cache({str(kept)}, age=3600)
    assert kept.exists()
    gradio_seam.sweep_cache({str(old)}, age=None)  # None: every file, as when the server stops
    assert not old.exists()
    assert list(inspect.signature(route_utils.delete_files_created_by_app).parameters) == ["blocks", "age"]
    assert "delete_files_created_by_app" in inspect.getsource(route_utils.delete_files_on_schedule)


def test_template_components_are_drawn_by_their_base_and_keep_what_callers_send():
    number, image = gradio_seam.ValidatedNumber(), gradio_seam.ImageOrCanvas(type="filepath", visible=False)
    assert (number.get_block_name(), image.get_block_name()) == ("number", "image")
    assert number.preprocess(["not", "a number"]) == ["not", "a number"]
    assert set(gradio_seam.EditorData.model_fields) >= {"background", "layers", "composite"}
    canvas = {"background": {"path": "/b.png"}, "layers": [{"path": "/l.png"}], "composite": {"path": "/c.png"}}
    kept = image.data_model.model_validate(canvas).model_dump()
    assert {key: kept[key] and True for key in canvas} == {"background": True, "layers": True, "composite": True}
    assert set(image.data_model.model_validate({"path": "/a.png"}).model_dump()) >= {"path", "url"}
    schema = json.dumps(image.api_info())
    assert "EditorData" in schema and "composite" in schema


def test_the_page_loads_gradios_core_module_and_it_exports_change_locale():
    """demos/static/gradio_locale.js finds the core module among the page's scripts by its name and calls its
    changeLocale: the page's entry script imports it, its name matches the script's pattern, and it exports it."""
    entry = re.search(r'<script type="module"[^>]*src="\./assets/([\w.-]+\.js)"', (FRONTEND / "index.html").read_text())
    assert entry, "index.html has no entry module"
    (core,) = set(re.findall(r"\./(core-[\w-]+\.js)", (FRONTEND / "assets" / entry[1]).read_text(encoding="utf-8")))
    pattern = re.search(r"/(\\/assets\\/core-.*?\$)/", gradio_seam.locale_js())[1].replace("\\/", "/")
    assert re.search(pattern, f"http://127.0.0.1:7860/assets/{core}")
    exports = re.findall(r"export\s*\{([^}]*)\}", (FRONTEND / "assets" / core).read_text(encoding="utf-8"))
    assert any(re.search(r"\bas changeLocale\b", names) for names in exports)
    assert "changeLocale" in gradio_seam.locale_js() and gradio_seam.locale_js() in language.HEAD


# --- Nothing else reaches past the seam -----------------------------------------------------------------------------

# Gradio's modules outside its documented API: all but those behind `gr.` names (components, themes) and
# gradio.i18n (its I18nData is the documented type of a gr.I18n string: `label: str | I18nData`).
PUBLIC_MODULES = {"components", "i18n", "themes"}
INTERNAL_MODULES = sorted({module.name for module in pkgutil.iter_modules(gradio.__path__)} - PUBLIC_MODULES)
_MODULES = "|".join(INTERNAL_MODULES)

# Every Gradio internal the app relies on, as it reads in source: (what, pattern). Only the seam may use them.
PRIVATE_NAMES = (
    (
        "a Gradio module outside its public API",
        rf"\b(?:gr|gradio)\.(?:{_MODULES})\b|\bfrom gradio import\b.*\b(?:{_MODULES})\b",
    ),
    ("a module inside gradio.components", r"\bgradio\.components\.\w"),
    ("Blocks.fns (events)", r"\.fns\b"),
    ("Blocks.blocks", r"\.blocks\s*(?:\.(?:values|items|keys)\(|\[)"),
    ("Block._id", r"\._id\b"),
    ("Blocks._queue", r"\._queue\b"),
    ("special_args (with_request)", r"\bspecial_args\b"),
    ("processing_utils", r"\bprocessing_utils\b"),
    ("route_utils", r"\broute_utils\b"),
    ("get_upload_folder (upload_folder)", r"\bget_upload_folder\b"),
    ("EditorData", r"\bEditorData\b"),
    ("Component.is_template", r"\bis_template\b"),
    ("Gradio's bundled core module", r"\bcore-"),
    ("Gradio's changeLocale", r"\bchangeLocale\b"),
    ("a mark on a Gradio block (gradio_seam.tag)", r"\.gml_\w|attr\([^)]*[\"']gml_"),
)
SEAM = {"demos/gradio_seam.py", "demos/static/gradio_locale.js", "tests/test_gradio_seam.py"}


def scanned_files() -> list[Path]:
    patterns = (
        "app.py",
        "demos/**/*.py",
        "scripts/**/*.py",
        "tests/**/*.py",
        "demos/static/*.js",
        "demos/static/*.css",
    )
    return sorted({path for pattern in patterns for path in ROOT.glob(pattern)} - {ROOT / name for name in SEAM})


def private_uses(path: Path) -> list[tuple[int, str]]:
    """(line number, what) for each Gradio internal a file uses."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        (number, what)
        for number, line in enumerate(lines, 1)
        for what, pattern in PRIVATE_NAMES
        if re.search(pattern, line)
    ]


def test_only_the_seam_uses_gradios_internals():
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {what}"
        for path in scanned_files()
        for number, what in private_uses(path)
    ]
    assert not found, "Gradio internals used outside demos/gradio_seam.py (go through the seam):\n" + "\n".join(found)


def test_the_scan_sees_each_internal(tmp_path):
    """Each pattern catches the use it names (so that the scan above cannot pass by matching nothing)."""
    uses = {
        "a Gradio module outside its public API": "from gradio import utils as gradio_utils",
        "a module inside gradio.components": "from gradio.components.image_editor import X",
        "Blocks.fns (events)": "for fn in demo.fns.values():",
        "Blocks.blocks": "for block in demo.blocks.values():",
        "Block._id": "ids = {button._id}",
        "Blocks._queue": "demo._queue.max_size",
        "special_args (with_request)": "arguments, *_ = special_args(fn, values, request)",
        "processing_utils": "processing_utils.save_pil_to_cache = writer",
        "route_utils": "route_utils.delete_files_created_by_app(app, 1)",
        "get_upload_folder (upload_folder)": "Path(get_upload_folder())",
        "EditorData": "root: ImageData | EditorData",
        "Component.is_template": "is_template = True",
        "Gradio's bundled core module": "find((name) => /core-[\\w-]+\\.js$/.test(name))",
        "Gradio's changeLocale": "module.changeLocale(lang)",
        "a mark on a Gradio block (gradio_seam.tag)": 'block.gml_text = source; getattr(block, "gml_link_key", None)',
    }
    assert set(uses) == {what for what, _ in PRIVATE_NAMES}
    for what, line in uses.items():
        sample = tmp_path / "sample.py"
        sample.write_text(f"x = 1\n{line}\n")
        assert (2, what) in private_uses(sample), what
    harmless = 'score-function estimator; gml-footer; cookies["gml_replica"]; gradio_client.utils; gr.themes.Default()'
    (tmp_path / "harmless.py").write_text(harmless + "\nPath(__file__).parent.parent\n")
    assert private_uses(tmp_path / "harmless.py") == []


# --- Browser code and styles live in demos/static/ -----------------------------------------------------------------

JS_OR_CSS = re.compile(r"=>|\bfunction\s*\(|\bdocument\.|\bwindow\.|^\s*[.#@\w][^{}\n]*\{[^{}]*:[^{}]*;", re.MULTILINE)


def browser_literals(path: Path) -> list[tuple[int, str]]:
    """(line, name assigned or "-") of each multi-line string in a Python file that reads as JS or CSS (docstrings
    aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for inner in ast.walk(node.value):
                names[id(inner)] = next((target.id for target in targets if isinstance(target, ast.Name)), "-")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if text.strip().count("\n") >= 1 and JS_OR_CSS.search(text):
                found.append((node.lineno, names.get(id(node), "-")))
    return found


def test_browser_code_and_styles_are_static_files():
    files = [ROOT / "app.py", *sorted((ROOT / "demos").glob("**/*.py"))]
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line} {name}" for path in files for line, name in browser_literals(path)
    ]
    assert not found, "JS or CSS in a Python string: move it to demos/static/ (demos.static_text):\n" + "\n".join(found)


def test_the_page_is_made_of_the_static_files():
    import app

    assert app.CSS.startswith(static_text("app.css") + static_text("lecture.css"))
    assert static_text("lecture.js") == classroom.LECTURE_JS and static_text("language_switch.js") == language.SWITCH_JS
    assert static_text("after_drag.js") == live_drag.AFTER_DRAG_JS
    tab = classroom.LinkedTab("vae", [classroom.LinkedControl("n", gr.Number())], [])
    assert classroom.copy_link_js(tab) == f'({static_text("copy_link.js")})("vae", ["n"], ["lang", "lecture"])'
    head = f"<script>\n({static_text('language_head.js')})({gradio_seam.locale_js()});\n</script>"
    assert head == language.HEAD
    css = language.css()
    assert f'url("/gradio_api/file={language.FONT_PATH}")' in css and "{{" not in css


def test_the_browser_code_parses_as_gradio_runs_it():
    """Gradio runs an event's `js` as `new Function("return (\\n" + js + "\\n);")` and calls the function it returns;
    the head's script runs as it is. Node parses each the same way (skipped where Node is not installed)."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    tab = classroom.LinkedTab("vae", [classroom.LinkedControl("n", gr.Number())], [])
    events_js = [
        classroom.LECTURE_JS,
        language.SWITCH_JS,
        classroom.copy_link_js(tab),
        live_drag.AFTER_DRAG_JS,
    ]
    head = language.HEAD.removeprefix("<script>").removesuffix("</script>")
    check = (
        "const [events, head] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "for (const js of events) { const made = new Function('return (\\n' + js + '\\n);')();"
        "  if (typeof made !== 'function') throw new Error('not a function: ' + js.slice(0, 60)); }"
        "new Function(head);"
    )
    subprocess.run([node, "-e", check], input=json.dumps([events_js, head]), text=True, check=True, timeout=30)


def test_a_session_made_on_first_read_holds_the_configs_gradio_would_make(monkeypatch):
    """defer_session_configs: a new session makes no block config until one is read; then every one is the
    config Gradio's own SessionState makes, and every other attribute is Gradio's. Gradio reads them only where
    the deferred mapping answers as a dict does (state_holder.py) and whole only for deep links (routes.py)."""
    from gradio import state_holder

    with gr.Blocks() as demo:
        number, slider = gr.Number(3), gr.Slider(0, 10, value=4)
        gr.Button().click(lambda n: n, number, slider)
    ours = state_holder.SessionState.__new__(state_holder.SessionState)
    gradio_seam.session_init(ours, demo)
    theirs = state_holder.SessionState.__new__(state_holder.SessionState)
    gradio_seam.GRADIO_SESSION_INIT(theirs, demo)
    assert dict.__len__(ours.config_values) == 0  # nothing made yet
    assert set(vars(ours)) == set(vars(theirs))
    for name in set(vars(ours)) - {"blocks_config", "config_values"}:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert slider._id in ours.config_values and ours.config_values[slider._id] == theirs.config_values[slider._id]
    # read whole, in the blocks' order as Gradio's (not the order first read: the slider above)
    assert list(ours.config_values.items()) == list(theirs.config_values.items())
    assert list(ours.components) == list(theirs.components)
    ours._update_value_in_config(slider._id, 7)  # an event's output: the value its config carries
    theirs._update_value_in_config(slider._id, 7)
    assert ours.config_values[slider._id] == theirs.config_values[slider._id]
    with pytest.raises(KeyError):
        ours.config_values[10**6]
    gradio_files = Path(gradio.__file__).parent
    readers = {
        path.name: path.read_text(encoding="utf-8").count("config_values")
        for path in gradio_files.glob("*.py")
        if "config_values" in path.read_text(encoding="utf-8")
    }
    assert readers == {"state_holder.py": 8}  # the places read above
    assert [path.name for path in gradio_files.glob("*.py") if "].components" in path.read_text()] == ["routes.py"]
    monkeypatch.setattr(state_holder.SessionState, "__init__", gradio_seam.GRADIO_SESSION_INIT)
    gradio_seam.defer_session_configs()
    assert state_holder.SessionState.__init__ is gradio_seam.session_init
