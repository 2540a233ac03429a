"""`make calibrate` reproduces the committed constants, never sees the validation split, and the held-out error
meets the targets."""

from dataclasses import replace

import pytest

from site_builder.devtools.calibrate import CALIBRATION_PATH, calibration_json, fit_all
from site_builder.estimator.accuracy import TARGET_MEDIAN, TARGET_P90, by_kind, decode_comparisons
from site_builder.estimator.measured import resolve_device, validation_chips
from site_builder.estimator.speed import load_calibration


@pytest.fixture(scope="module")
def shipped_fit(catalogue):
    return fit_all(catalogue)


def test_calibration_json_is_reproduced_exactly(catalogue):
    assert calibration_json(catalogue) == CALIBRATION_PATH.read_text()


def test_the_validation_split_does_not_move_the_fit(catalogue, shipped_fit):
    held = validation_chips(catalogue)

    def held_out(m) -> bool:
        device = resolve_device(catalogue, m.row.device) if m.row.device else None
        return device is not None and device.base_slug in held and not m.benchmark.relative

    faster = tuple(
        replace(m, row=m.row.model_copy(update={"tok_s": m.row.tok_s * 3})) if held_out(m) and m.row.tok_s else m
        for m in catalogue.measurements
    )  # every held-out row three times faster
    assert sum(a is not b for a, b in zip(faster, catalogue.measurements, strict=True)) > 100
    assert fit_all(replace(catalogue, measurements=faster)) == shipped_fit


def test_the_split_holds_out_chips_of_every_class_with_moe_rows(catalogue):
    held = validation_chips(catalogue)
    assert len(held) == 13
    assert {"rx-7900-xtx", "apple-m1-max-24c", "rtx-5080", "ryzen-9-7940hs"} <= held


def test_every_class_has_constants(shipped_fit):
    fit = shipped_fit
    assert set(fit["classes"]) == {"NVIDIA", "AMD", "Intel", "Apple", "CPU"}
    assert all(c["calibrated"] for name, c in fit["classes"].items() if name != "CPU")
    assert fit["classes"]["AMD"]["rows"] >= 30


def test_held_out_decode_error_meets_the_targets(catalogue):
    """Median and P90 absolute error on the validation split, by architecture kind (the methodology page
    publishes the same table). Hybrid rows are too few to hold a target: reported, not asserted."""
    held = [c for c in decode_comparisons(catalogue, load_calibration()) if c.point.validation]
    table = {a.group: a for a in by_kind(held)}
    for kind in ("dense", "moe"):
        a = table[kind]
        assert (a.median_abs_error <= TARGET_MEDIAN[kind], a.p90_abs_error <= TARGET_P90[kind]) == (True, True), a
