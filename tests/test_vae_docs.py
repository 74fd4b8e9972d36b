"""docs/vae.md: its generated tables are the records' current figures, and its prose claims hold for them."""

import pytest

from models.checkpoints import read_record
from scripts import vae_docs


def test_generated_tables_are_up_to_date():
    """A record retrained or refitted without `python -m scripts.vae_docs` leaves the doc stale: this fails."""
    written = vae_docs.tables()
    shown = vae_docs.generated_blocks(vae_docs.DOC.read_text(encoding="utf-8"))
    if any(vae_docs.previous_record(name) is None for name in vae_docs.MODELS):
        written.pop("vae_quality")  # its `previous` rows come from git history, which a shallow clone lacks
    assert set(written) <= set(shown)
    for name, table in written.items():
        assert shown[name] == table, f"docs/vae.md block {name!r} is stale: run python -m scripts.vae_docs"


@pytest.mark.parametrize("prior", vae_docs.PRIORS)
def test_reading_it_claims_hold_for_each_fitted_prior(prior):
    """ "The test digits are more likely under it, FID falls while precision, IS and both PRD F-scores rise; recall
    moves little. PPL rises." (docs/vae.md, "Reading it")"""
    fitted = read_record(prior)
    vae = read_record(fitted["fit"]["vae"])
    assert fitted["test"]["iwae_negative_log_likelihood"] < vae["test"]["iwae_negative_log_likelihood"]
    before, after = vae["sample_quality"], fitted["sample_quality"]
    assert after["FID samples"] < before["FID samples"]
    for rises in ("precision", "IS samples", "F8 (PRD)", "F1/8 (PRD)", "PPL"):
        assert after[rises] > before[rises], rises
    assert abs(after["recall"] - before["recall"]) < 0.05


@pytest.mark.parametrize("name", vae_docs.MODELS + vae_docs.PRIORS)
def test_every_bound_and_reconstruction_claim_holds(name):
    """ "IWAE below −ELBO for every model … reconstruction FID is below sample FID for every model.\""""
    record = read_record(name)
    assert record["test"]["iwae_negative_log_likelihood"] < record["test"]["negative_elbo"]
    assert record["sample_quality"]["FID reconstructions"] < record["sample_quality"]["FID samples"]
