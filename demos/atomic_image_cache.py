"""Write Gradio's cached output images atomically.

Gradio stores each output image under a name derived from its bytes, rewriting the file in place (its
`save_pil_to_cache`, which `install` replaces through demos.gradio_seam). When a class asks for the same image at
once (the default sample grid, the same example sketch), one request truncates and rewrites the file while another
request's client is downloading it, and that download fails ("peer closed connection", seen in
scripts/load_test.py at 30 clients). Gradio already writes cached *files* atomically (`save_file_to_cache`); this
does the same for images: an existing file (same name, so same bytes) is reused, a new one is written under a
temporary name and renamed into place.

Reusing a file renews its age, so that the sweep that keeps the cache bounded on a long-running classroom server
(app.IMAGE_CACHE_SWEEP, Gradio's `delete_cache`) removes images nobody has asked for lately, never one just served.

PNGs are compressed at zlib level 1 instead of PIL's 6: the 968 × 968 sample grid encodes in 16 ms instead of 38 ms
(and the traversal in 12 instead of 23) for files 15–25 % larger (68 instead of 54 KB), CPU that the previews'
shared worker no longer spends on every call.
"""

import io
import os
import tempfile
from pathlib import Path

from demos import gradio_seam

PNG_COMPRESS_LEVEL = 1


def encode(img, format: str) -> bytes:
    """Gradio's encoder (its metadata included), with fast zlib compression for PNG."""
    if format.lower() != "png":
        return gradio_seam.encode_image(img, format)
    with io.BytesIO() as output:
        img.save(output, "png", pnginfo=gradio_seam.png_metadata(img), compress_level=PNG_COMPRESS_LEVEL)
        return output.getvalue()


def save_pil_to_cache_atomically(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's image writer, atomic: the path of the image in Gradio's cache, written there if it was not."""
    data = encode(img, format)
    directory = Path(cache_dir) / gradio_seam.cache_name(data)
    directory.mkdir(exist_ok=True, parents=True)
    path = (directory / f"{name}.{format}").resolve()
    try:
        renew(path)
    except FileNotFoundError:
        descriptor, staging = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(staging, path)
    return str(path)


def renew(path: Path) -> None:
    """Mark a reused file as just served: Gradio's cache sweep (app.IMAGE_CACHE_SWEEP) deletes files by the age of
    their status change time (st_ctime), which rewriting the timestamps renews; the contents and the modification
    time stay as they are."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def install() -> None:
    """Route every image output through the atomic writer (idempotent)."""
    gradio_seam.replace_image_writer(save_pil_to_cache_atomically)
