"""A corrupt checkpoint disables only the tab that needs it, with a message; the app still starts and serves.

For each shipped checkpoint, a copy of checkpoints/ with that one file truncated is handed to a fresh app process
(GML_CHECKPOINT_DIR), which reports which tabs show the "unavailable" message.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a fresh app process per checkpoint

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(path.name for path in (ROOT / "checkpoints").glob("*.safetensors"))

REPORT_UNAVAILABLE_TABS = """
import json
import gradio as gr
import app
from demos import gradio_seam

demo = app.build_app()

def tab_of(block):
    while block is not None and not isinstance(block, gr.Tab):
        block = getattr(block, "parent", None)
    return block.id if block is not None else None  # the tab's name (its label is a catalogue key)

unavailable = {
    tab_of(block): block.value
    for block in gradio_seam.blocks(demo)
    if isinstance(block, gr.Markdown) and "gml-unavailable" in (block.elem_classes or [])
}
print(json.dumps(unavailable))
"""


def unavailable_tabs(checkpoint_dir: Path) -> dict:
    env = {**os.environ, "GML_CHECKPOINT_DIR": str(checkpoint_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    result = subprocess.run(
        [sys.executable, "-c", REPORT_UNAVAILABLE_TABS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"the app failed to build:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_shipped_checkpoints_enable_every_tab():
    assert unavailable_tabs(ROOT / "checkpoints") == {}


@pytest.mark.parametrize("broken", SHIPPED)
def test_truncated_checkpoint_disables_only_its_tab(broken, tmp_path):
    copy = tmp_path / "checkpoints"
    shutil.copytree(ROOT / "checkpoints", copy)
    path = copy / broken
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    unavailable = unavailable_tabs(copy)
    assert len(unavailable) == 1, f"truncating {broken} should disable exactly one tab, got {list(unavailable)}"
    (message,) = unavailable.values()
    assert "unavailable" in message and ("corrupt" in message or "unreadable" in message), message
