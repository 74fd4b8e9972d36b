"""Phrases the tabs once showed that state a wrong fact (or an old claim), by the catalogue whose texts must not bring
them back: every text file and string of its folder (demos.texts_dir) in that language. tests/test_catalogues.py checks
them all in the fast tier; the tabs' own tests check the texts they render too."""

RETIRED = {
    "divergences": {
        "en": [
            "D_CS can be negative",
            "can be negative",
            "only for equal variances",
            "only holds for equal variances",
            "holds only at equal variances",
            "is a lower bound on log p",
            "L_cs is a lower bound",
            "KL would need sampling",
            "form exists",
            "KL has no closed form",
        ],
        "fa": ["هیچ فرم بسته‌ای وجود ندارد"],
    },
    "estimators": {
        "en": [
            "ideal constant baseline",  # the best constant baseline is b* = E[f s²]/E[s²], not E f
            "zero variance in both cases",  # the pathwise estimator of (mz)² has variance 4m⁴/N
            "baseline is E f",
            "removes the noise that the mean of f adds",
        ],
    },
    "pix2pix": {
        "en": [
            "learns more slowly",
            "so that d learns",
            "one logit per 70",
            "per 70x70 patch",
            r"\lambda\,\mathbb{E}\,\lVert y - G(x)\rVert_1",  # the sum norm; the code takes the mean
            "one of the colours the data has",
            "per-pixel *median*, which blurs less",
        ],
        "fa": ["میانه یکی از رنگ‌هایی است که در داده‌ها هست", "*میانهٔ* پیکسل‌به‌پیکسل آن‌ها، که کمتر تار می‌کند"],
    },
    "vae": {
        "en": ["the gap between them estimates", "is the gradient of a convolution", "realistic and as diverse"],
        "fa": ["هم واقع‌نما باشند و هم به اندازهٔ"],
    },
    "vae_live": {"en": ["Both divergences charge"], "fa": ["هر دو واگرایی برای میانگینِ یک کد"]},
}
