"""Output images are written atomically: concurrent requests for the same image never see a partial file."""

import threading
from pathlib import Path

import numpy as np
from gradio import processing_utils
from PIL import Image

from demos.atomic_image_cache import install, save_pil_to_cache_atomically


def test_same_image_reuses_the_file_untouched(tmp_path):
    image = Image.fromarray(np.arange(64 * 64 * 3, dtype=np.uint8).reshape(64, 64, 3))
    first = save_pil_to_cache_atomically(image, str(tmp_path), format="png")
    stat = (tmp_path / first).stat()
    second = save_pil_to_cache_atomically(image, str(tmp_path), format="png")
    assert first == second
    assert (stat.st_ino, stat.st_mtime_ns) == (
        (tmp_path / second).stat().st_ino,
        (tmp_path / second).stat().st_mtime_ns,
    )
    assert Path(first).read_bytes() == processing_utils.encode_pil_to_bytes(image, "png")


def test_readers_never_see_a_partial_file_while_writers_race(tmp_path):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    expected = processing_utils.encode_pil_to_bytes(image, "png")
    path = save_pil_to_cache_atomically(image, str(tmp_path), format="png")
    torn = []

    def write():
        for _ in range(50):
            save_pil_to_cache_atomically(image, str(tmp_path), format="png")

    def read():
        for _ in range(300):
            with open(path, "rb") as handle:
                if handle.read() != expected:
                    torn.append(1)

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not torn


def test_install_routes_gradio_image_outputs_through_it():
    install()
    assert processing_utils.save_pil_to_cache is save_pil_to_cache_atomically
