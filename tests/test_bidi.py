"""Left-to-right runs inside Persian text: isolated once, centrally, as the catalogues are read (demos/bidi.py)."""

import pytest

import app  # noqa: F401  (every tab's package registers its texts as it is imported)
from demos.bidi import LRI, PDI, in_direction, isolated, plain
from demos.language import CATALOGUES, t


def runs(text: str) -> list[str]:
    """The isolated runs of a text, as a reader sees them (no-break spaces as spaces)."""
    return [plain(part.split(PDI)[0]).replace("\u00a0", " ") for part in text.split(LRI)[1:]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("q یک آمیزه است: (1 − w)·N(μ₂, σ₂²) + w·N(μ₃, σ₃²)", ["q", "(1 − w)·N(μ₂, σ₂²) + w·N(μ₃, σ₃²)"]),
        ("# آزمایشگاه مدل‌های مولد (Generative Models Lab)", ["(Generative Models Lab)"]),
        ("اگر m > 0 باشد", ["m > 0"]),
        ("آنچه مدل‌ها می‌بینند (28×28، دودویی)", ["28×28"]),  # a bracket that closes in Persian stays Persian's
        ("n (تعداد نمونه‌ها)", ["n"]),
        ("منحنی PRD نمونه‌ها (Sajjadi et al. 2018).", ["PRD", "(Sajjadi et al. 2018)"]),  # the full stop is Persian's
    ],
)
def test_each_left_to_right_run_is_isolated_whole_with_its_own_brackets(text, expected):
    assert runs(isolated(text)) == expected
    assert plain(isolated(text)).replace("\u00a0", " ") == text  # nothing but marks and no-break spaces added


def test_formulas_and_numbers_keep_to_one_line_english_words_may_wrap():
    assert "\u00a0" in isolated("اگر m > 0 باشد") and "\u00a0" in isolated("برابر 2,000 رقم (N = 10)")
    assert "\u00a0" not in isolated("آزمایشگاه (Generative Models Lab)")


@pytest.mark.parametrize(
    "text",
    [
        "فرمول $\\mathcal N(0, I)$ و $$\\mathrm{KL}(p\\|q)$$ دست نمی‌خورند",
        "کد `python -m scripts.bench` و <br> و <!-- section: intro --> و {{kl_fid}} و {ms:.1f}",
        "1. نخست\n2. دوم",
    ],
)
def test_formulas_code_tags_placeholders_and_list_numbers_are_left_alone(text):
    assert LRI not in isolated(text)


def test_english_is_returned_unchanged_and_every_persian_catalogue_string_is_isolated():
    assert in_direction("(1 − w)·N(μ₂, σ₂²)", "en") == "(1 − w)·N(μ₂, σ₂²)"
    assert CATALOGUES["fa"]["app.title"].endswith(f"{LRI}(Generative Models Lab){PDI}")
    assert f"{LRI}2,000{PDI}" in t("vae_digit.reading", "fa", model="KL-VAE", formula="x", percentile="1 %")
