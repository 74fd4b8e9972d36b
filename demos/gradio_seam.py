"""The one seam between the app and Gradio's internals: everything used beyond Gradio's documented public API.

A Gradio upgrade should break here and only here. Each function below says which Gradio internal it relies on and
why the app needs it; tests/test_gradio_seam.py checks each of them against the installed Gradio (a contract test
per internal, failing when the internal changed) and scans app.py, demos/, scripts/ and tests/ so that no other
file reaches for one. The browser side has one such reliance too, Gradio's locale store: demos/static/
gradio_locale.js, read only through `locale_js`.
"""

import contextlib
import copy
import inspect
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr
from gradio import processing_utils, route_utils, state_holder
from gradio import utils as gradio_utils
from gradio.components.image_editor import EditorData
from gradio.data_classes import GradioRootModel, ImageData
from gradio.helpers import special_args

import demos

# --- The app as built: its blocks and events ----------------------------------------------------------------------


def blocks(demo: gr.Blocks) -> list:
    """Every block (component or layout) built inside `demo`, in the order they were made: `Blocks.blocks`, Gradio's
    id → block registry. The app walks it after the tabs are built, to find the texts to translate on load and the
    controls a link may set."""
    return list(demo.blocks.values())


def parents(block) -> Iterator:
    """The layouts around `block`, innermost first: `Block.parent`, which Gradio sets when a block is made inside a
    `with` layout. The app asks which tab a control is in."""
    parent = getattr(block, "parent", None)
    while parent is not None:
        yield parent
        parent = getattr(parent, "parent", None)


class Event(NamedTuple):
    """One event listener of an app (a `.click`, `.change`, `demo.load`, ...), as Gradio registered it."""

    index: int  # Gradio's fn_index: what the page sends to run it (/gradio_api/queue/join)
    fn: Callable | None  # the Python function (None for a browser-only event)
    name: str | None  # the function's __name__
    inputs: list
    outputs: list
    targets: list[tuple[Any, str]]  # (block, event name), e.g. (button, "click"); the Blocks itself for "load"
    api_name: str | None
    api_visibility: str  # "public", "private" or "undocumented"
    js: str | None  # the browser function run before (or instead of) fn
    preprocess: bool
    concurrency_id: str
    concurrency_limit: int | str | None


def events(demo: gr.Blocks) -> list[Event]:
    """Every event listener of `demo`, in the order they were added: `Blocks.fns` (fn_index → BlockFunction) and
    the BlockFunction attributes read here, their targets (block id, event name) resolved to blocks. The app finds
    a tab's endpoints and views from them (links run them again on load; the catalogue skips text that events
    rewrite), and tests check how events are wired."""
    owners = {**demo.blocks, demo._id: demo}
    return [
        Event(
            index=index,
            fn=block_fn.fn,
            name=block_fn.name,
            inputs=list(block_fn.inputs),
            outputs=list(block_fn.outputs),
            targets=[(owners.get(block_id), event_name) for block_id, event_name in block_fn.targets],
            api_name=block_fn.api_name,
            api_visibility=block_fn.api_visibility,
            js=block_fn.js,
            preprocess=block_fn.preprocess,
            concurrency_id=block_fn.concurrency_id,
            concurrency_limit=block_fn.concurrency_limit,
        )
        for index, block_fn in demo.fns.items()
    ]


def with_request(fn: Callable, values: list, request) -> list:
    """`values` (one per event input) with `request` inserted where Gradio itself would pass fn its `gr.Request`
    (and any defaults Gradio fills before it): `gradio.helpers.special_args`, which reads the type hints as Gradio
    does (not through a functools.partial, for instance). A link calls a view itself on load, with the request."""
    arguments, *_ = special_args(fn, list(values), request)
    return arguments


def takes_request(fn: Callable) -> bool:
    """Whether Gradio passes fn the request (a parameter annotated `gr.Request`, as `with_request` finds it)."""
    marker = object()
    values = [None] * len(inspect.signature(fn).parameters)  # (every parameter given: no default filled in)
    return any(value is marker for value in with_request(fn, values, marker))


# --- The queue -----------------------------------------------------------------------------------------------------


class QueueSettings(NamedTuple):
    max_size: int | None  # waiting events beyond which a caller is told the app is busy
    default_concurrency_limit: int | None  # workers of an event that sets no concurrency_limit of its own


def queue_settings(demo: gr.Blocks) -> QueueSettings:
    """The settings `demo.queue(...)` gave the app's queue, as the queue holds them: `Blocks._queue`, Gradio's
    queueing.Queue, which `queue()` makes and does not expose. Tests check that an app is queued as app.py says."""
    return QueueSettings(demo._queue.max_size, demo._queue.default_concurrency_limit)


@contextlib.contextmanager
def monitoring_summary_rebuilds(demo: gr.Blocks) -> Iterator[list[int]]:
    """While inside: a list that gets, each time Gradio rebuilds the summary of its /monitoring dashboard, the number
    of events summarized. The summary is `Queue.compute_analytics_summary`'s pandas DataFrame of the recorded events,
    made by `Queue._get_df` every $GRADIO_ANALYTICS_CACHE_FREQUENCY events (app.py sets how often); a test counts
    the rebuilds of a served app."""
    queue, rebuilds = demo._queue, []
    own = vars(queue).get("_get_df")  # (normally none: _get_df is a static method of the class)
    build = queue._get_df
    queue._get_df = lambda records: rebuilds.append(len(records)) or build(records)
    try:
        yield rebuilds
    finally:
        if own is None:
            del queue._get_df
        else:
            queue._get_df = own


# --- Our marks on Gradio's objects ---------------------------------------------------------------------------------

TAG_PREFIX = "gml_"  # an attribute name Gradio does not use


def tag(block, key: str, value: Any = True):
    """Mark a Gradio block with `key` (e.g. "text": the file a Markdown shows, "link_key": the query key a control
    is linked under), read back with `tag_of` or `tagged`. The mark is an attribute of the block: Gradio's blocks
    take attributes of ours, keep them while the app is built, and leave them out of the page's config."""
    setattr(block, TAG_PREFIX + key, value)
    return block


def tag_of(block, key: str, default: Any = None) -> Any:
    """The value a block was tagged with under `key` (`default` where it was not)."""
    return getattr(block, TAG_PREFIX + key, default)


def tagged(blocks: Iterable, key: str) -> list:
    """The blocks tagged with `key`, in order."""
    return [block for block in blocks if hasattr(block, TAG_PREFIX + key)]


def set_property(block, name: str, value: Any) -> None:
    """Change a component's property (a label, its choices) after it was built and before the app is launched:
    Gradio makes the page's config from the component's attributes (`Component.get_config`) when the app starts,
    so the page shows the new value. The catalogue points the English strings at their I18n keys this way."""
    setattr(block, name, value)


# --- Files: where Gradio keeps what it receives, and its image cache -----------------------------------------------


def upload_folder() -> Path:
    """The folder Gradio moves every file it receives into (`gradio.utils.get_upload_folder`: $GRADIO_TEMP_DIR, or
    gradio/ in the system's temporary folder), resolved: an endpoint opens only files from there, so that a caller
    cannot make the server read its own files."""
    return Path(gradio_utils.get_upload_folder()).resolve()


GRADIO_SAVE_PIL_TO_CACHE = processing_utils.save_pil_to_cache  # Gradio's own in-place writer, before any replacing


def replace_image_writer(writer: Callable) -> None:
    """Write every output image with `writer(img, cache_dir, name="image", format="webp") -> path` instead of
    `processing_utils.save_pil_to_cache`, which Gradio's image outputs (gr.Image, gr.Gallery, ...) look up on its
    module at each call (demos/atomic_image_cache.py: Gradio rewrites a cached image in place, which tears the
    download of a client reading it meanwhile)."""
    processing_utils.save_pil_to_cache = writer


def image_writer() -> Callable:
    """The function Gradio's image outputs are written with now (Gradio's own or `replace_image_writer`'s)."""
    return processing_utils.save_pil_to_cache


# --- Sessions ------------------------------------------------------------------------------------------------------


class BlockConfigsOnFirstRead(dict):
    """A session's `config_values` (block id → that block's config), each made when first read."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self.blocks_config, self.order, self.pending = blocks_config, list(ids), set(ids)

    def __missing__(self, key):
        if key not in self.pending:
            raise KeyError(key)
        self[key] = self.blocks_config.config_for_block(key, [], self.blocks_config.blocks[key])
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        return key in self.pending or dict.__contains__(self, key)

    def __setitem__(self, key, value) -> None:
        self.pending.discard(key)
        dict.__setitem__(self, key, value)

    def items(self):
        """Every block's config, in the blocks' order as Gradio's own dict holds them (not in the order first read)."""
        return [(key, self[key]) for key in self.order]


GRADIO_SESSION_INIT = state_holder.SessionState.__init__  # Gradio's own, before any replacing


def session_init(session, blocks) -> None:
    """`SessionState.__init__` as Gradio's, but with the blocks' configs made on first read."""
    session.blocks_config = copy.copy(blocks.default_config)
    ids = [key for key in session.blocks_config.blocks if key in blocks.blocks]
    session.config_values = BlockConfigsOnFirstRead(session.blocks_config, ids)
    session.state_data, session._state_ttl, session.is_closed = {}, {}, False
    session.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


def defer_session_configs() -> None:
    """Gradio makes a session's state when the session first calls (gradio/state_holder.py, SessionState): it then
    builds the config of every block of the app (`config_values`, ~340 blocks here, ~60 ms holding the server's
    event loop), which only its deep links (gr.DeepLinkButton, not used here) read whole. A class that opens the
    link together made the server stall for seconds (docs/measured/class_load.md). Made on first read instead, the
    same configs, a session costs ~1 ms."""
    state_holder.SessionState.__init__ = session_init


def encode_image(img, format: str) -> bytes:
    """An image's bytes as Gradio's writer makes them (`processing_utils.encode_pil_to_bytes`: its handling of each
    format, animated GIFs' frames and PNG text metadata included)."""
    return processing_utils.encode_pil_to_bytes(img, format)


def png_metadata(img):
    """The PNG text chunks Gradio copies from an image (`processing_utils.get_pil_metadata`)."""
    return processing_utils.get_pil_metadata(img)


def cache_name(data: bytes) -> str:
    """The folder name Gradio's cache gives these bytes (`processing_utils.hash_bytes`: a SHA-256 salted with a
    secret seed Gradio keeps, so that an image's address cannot be guessed from its content)."""
    return processing_utils.hash_bytes(data)


def sweep_cache(files: Iterable[str], age: float | None) -> None:
    """Run once the sweep that `gr.Blocks(delete_cache=(every, age))` runs every `every` seconds (app.
    IMAGE_CACHE_SWEEP) on the files an app served: `route_utils.delete_files_created_by_app`, which deletes those
    whose status change time (st_ctime) is older than `age` seconds, from an app's `temp_file_sets` (and spares its
    `blocks`' `keep_in_cache`). Tests run it at once instead of waiting for the server's schedule."""
    route_utils.delete_files_created_by_app(SimpleNamespace(blocks={}, temp_file_sets=[set(files)]), age=age)


# --- Components that reuse a built-in component's front end --------------------------------------------------------
# Gradio documents subclassing Component for custom components (`gradio cc`, with a front end of their own); these
# reuse a built-in one through `is_template` (the front end is chosen by the base class's name,
# Block.get_block_name) and replace its preprocessing or its data model.


class ValidatedNumber(gr.Number):
    """A gr.Number whose value reaches the endpoint exactly as sent.

    gr.Number's own preprocessing fails on a list or a string without a message; with this component the
    endpoint's validator (demos.validation) answers every bad value with its sentence. Use it where an event cannot
    take `preprocess=False` because another of its inputs (an image) needs preprocessing.
    """

    is_template = True  # drawn by gr.Number's front end

    def preprocess(self, payload):
        return payload


class ImageOrCanvas(gr.Image):
    """A hidden API input that takes an image file or a canvas (ImageEditor) dict {background, layers, composite}.

    gr.Image's schema would drop a canvas dict's keys before the endpoint sees them (and say nothing); with a union
    schema of Gradio's ImageData and the ImageEditor's EditorData (`gradio.components.image_editor`), both shapes
    reach the endpoint unprocessed (use with preprocess=False), their files moved into Gradio's cache and checked
    by Gradio as for any file input. Pydantic's smart union keeps the shape with the most fields.
    """

    is_template = True  # drawn by gr.Image's front end

    class Data(GradioRootModel):
        root: ImageData | EditorData

    data_model = Data


# --- The browser side ----------------------------------------------------------------------------------------------


def locale_js() -> str:
    """A browser function `(lang) => ...` that switches Gradio's frontend to `lang` (demos/static/gradio_locale.js):
    `changeLocale`, an export of Gradio's bundled core module (/assets/core-<hash>.js). Gradio picks its catalogue
    from the browser's language; the app's `?lang=` must win over it."""
    return demos.static_text("gradio_locale.js")
