"""The VAE tab's named drawings ("Your own digit" cases): data/digit_cases/<case>.png

    python -m scripts.build_digit_cases

Each is drawn with PIL strokes on a 280 px page, black ink on white like the tab's canvas (the inverted one
white on black), with a pen as wide as the canvas's brush. What the models say about each is measured by the
tests (tests/test_own_digit.py), not assumed here.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "data" / "digit_cases"
SIDE = 280
PEN = 22  # px: the canvas brush (demos.vae.own_digit.BRUSH)


def page(strokes: list[list[tuple[float, float]]], ink="black", paper="white", fill_ellipse=None) -> Image.Image:
    image = Image.new("RGB", (SIDE, SIDE), paper)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=ink, width=PEN, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round pen ends
            draw.ellipse((x - PEN / 2, y - PEN / 2, x + PEN / 2, y + PEN / 2), fill=ink)
    if fill_ellipse:
        draw.ellipse(fill_ellipse, fill=ink)
    return image


def arc(cx, cy, rx, ry, start, stop, steps=24) -> list[tuple[float, float]]:
    angles = np.radians(np.linspace(start, stop, steps))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


SEVEN = [[(80, 60), (200, 60), (160, 140), (120, 235)]]
CASES = {
    "clear": lambda: page(SEVEN),
    "sloppy": lambda: page(  # a "2" drawn fast: the loop overshoots, the stroke wobbles, the base tilts
        [[*arc(135, 100, 60, 50, 200, 380), (170, 150), (120, 185), (75, 230), (150, 215), (225, 240)]]
    ),
    "letter": lambda: page([[(75, 235), (140, 45), (205, 235)], [(100, 165), (180, 165)]]),
    "scribble": lambda: page(
        [arc(140, 140, 90, 60, 0, 340), arc(120, 150, 50, 80, 90, 450), [(60, 60), (220, 220), (70, 220), (215, 70)]]
    ),
    "blob": lambda: page([], fill_ellipse=(70, 50, 210, 230)),
    "inverted": lambda: page(SEVEN, ink="white", paper="black"),
    "dash": lambda: page([[(100, 140), (180, 140)]]),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in CASES.items():
        draw().convert("L").save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
