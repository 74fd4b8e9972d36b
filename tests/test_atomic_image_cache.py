"""Output images are written atomically: concurrent requests for the same image never see a partial file."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demos import gradio_seam
from demos.atomic_image_cache import encode, install, save_pil_to_cache_atomically


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
    assert Path(first).read_bytes() == encode(image, "png")


def test_a_served_image_is_renewed_so_that_gradios_sweep_keeps_it(tmp_path):
    images = [Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)) for value in (0, 255)]
    old, served = (save_pil_to_cache_atomically(image, str(tmp_path), format="png") for image in images)
    time.sleep(1.2)
    mtime = Path(served).stat().st_mtime_ns
    assert save_pil_to_cache_atomically(images[1], str(tmp_path), format="png") == served  # served again
    gradio_seam.sweep_cache({old, served}, age=1)  # Gradio's sweep of the files an app served
    assert not Path(old).exists() and Path(served).exists()
    assert Path(served).stat().st_mtime_ns == mtime  # renewed for the sweep, the file itself untouched


def torn_reads_while_writers_race(writer, encoder, tmp_path, trials: int = 10) -> int:
    """Writers create the same image in a fresh cache folder while readers poll its final path: the number of
    reads that saw other bytes than the finished image, as `encoder` makes it (a missing file is not a read)."""
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    expected = encoder(image, "png")
    torn = []
    for trial in range(trials):
        cache = tmp_path / f"trial{trial}"
        path = (cache / gradio_seam.cache_name(expected) / "image.png").resolve()
        stop = threading.Event()

        def write(cache=cache):
            for _ in range(3):
                writer(image, str(cache), format="png")

        def read(path=path, stop=stop):
            while not stop.is_set():
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                if data != expected:
                    torn.append(len(data))

        readers = [threading.Thread(target=read) for _ in range(2)]
        writers = [threading.Thread(target=write) for _ in range(3)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
        stop.set()
        for thread in readers:
            thread.join()
        assert path.read_bytes() == expected
    return len(torn)


@pytest.mark.slow
def test_readers_never_see_a_partial_file_while_writers_race(tmp_path):
    # The race covers the first write too (the file does not exist yet): the temporary-name-and-rename path.
    assert torn_reads_while_writers_race(save_pil_to_cache_atomically, encode, tmp_path / "atomic") == 0


@pytest.mark.slow
def test_the_race_tears_gradios_own_writer(tmp_path):
    """The same race against Gradio's in-place writer does see partial files, so the test above can fail."""
    assert (
        torn_reads_while_writers_race(
            gradio_seam.GRADIO_SAVE_PIL_TO_CACHE, gradio_seam.encode_image, tmp_path / "gradio", trials=3
        )
        > 0
    )


def test_install_routes_gradio_image_outputs_through_it():
    install()
    assert gradio_seam.image_writer() is save_pil_to_cache_atomically


def test_png_is_written_fast_and_decodes_to_the_same_pixels(tmp_path):
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    path = save_pil_to_cache_atomically(Image.fromarray(pixels), str(tmp_path), format="png")
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), pixels)  # lossless, whatever the level
