"""`make calibrate` must reproduce the committed constants, and the fit must use only calibration rows."""

from site_builder.devtools.calibrate import CALIBRATION_PATH, calibration_json, fit_all


def test_calibration_json_is_reproduced_exactly(catalogue):
    assert calibration_json(catalogue) == CALIBRATION_PATH.read_text()


def test_rows_outside_the_calibration_set_do_not_move_the_fit(catalogue):
    from dataclasses import replace

    extra = [
        replace(m, benchmark=m.benchmark.model_copy(update={"calibration": False})) for m in catalogue.measurements
    ]
    faster = [
        replace(m, row=m.row.model_copy(update={"tok_s": m.row.tok_s * 3})) for m in extra
    ]  # the same rows, three times faster, but not marked calibration
    widened = replace(catalogue, measurements=catalogue.measurements + tuple(faster))
    assert fit_all(widened) == fit_all(catalogue)


def test_every_class_has_constants(catalogue):
    fit = fit_all(catalogue)
    assert set(fit["classes"]) == {"NVIDIA", "AMD", "Intel", "Apple", "TPU", "CPU"}
    assert fit["classes"]["TPU"]["calibrated"] is False
    assert fit["classes"]["Apple"]["calibrated"] is True
