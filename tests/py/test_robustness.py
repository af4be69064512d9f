"""The corpus nobody here wrote (../shared/corpus/pillow, Pillow's own test images) through the loaders and the
CLI, each file in a fresh, limited interpreter (tests/robustness.py; docs/robustness.md has the table).
Runs when ../shared is beside the checkout, as in CI; says so when it is skipped."""

from __future__ import annotations

import pytest

from tests import robustness


@pytest.fixture(scope="module")
def corpus():
    if not robustness.CORPUS.is_dir():
        pytest.skip(f"corpus check skipped: {robustness.CORPUS} is not here (../shared sits beside the checkout in CI)")
    return robustness.CORPUS


def test_every_corpus_file_opens_or_is_refused_cleanly_within_time_and_memory(corpus):
    probes = robustness.probe_corpus(corpus)
    print(robustness.report(probes, None))
    assert len(probes) > 500
    unclean = [p for p in probes if p.photo not in ("opened", "refused") or p.depth not in ("opened", "refused")]
    assert not unclean, unclean
    assert max(p.peak_bytes for p in probes) <= robustness.PEAK_LIMIT
    assert sum(p.photo == "opened" for p in probes) > 200  # ordinary images do open


def test_the_cli_reports_each_failure_in_one_line_and_overwrites_nothing(corpus):
    run = robustness.run_cli(corpus)
    assert set(run.exit_codes) <= {0, 1}
    assert run.bad_lines == []
    assert run.failures > 0 and run.written + run.failures == run.files
