"""Zoomed-in training views (labels.py): reproducible windows of the photo at the labels' size."""

import numpy as np

from labels import GRID, ZOOM, zoomed_view


def ramp_photo(height=900, width=1200):
    """Each pixel's (row, column) encoded in its red and green channels, /4 to fit uint8."""
    rows, cols = np.mgrid[:height, :width]
    return np.stack([rows // 4, cols // 5, np.zeros_like(rows)], -1).astype(np.uint8)


def test_a_view_is_the_same_on_every_run_and_differs_between_views():
    photo = ramp_photo()
    assert np.array_equal(zoomed_view(photo, 7), zoomed_view(photo, 7))
    assert not np.array_equal(zoomed_view(photo, 7), zoomed_view(photo, 8))


def test_a_view_is_a_zoomed_in_window_at_the_labels_long_side():
    photo = ramp_photo()
    for view in range(20):
        out = zoomed_view(photo, view)
        assert max(out.shape[:2]) == GRID and out.dtype == np.uint8
        # The window spans ZOOM of each side: its row and column ramps cover that share.
        row_span = (int(out[..., 0].max()) - int(out[..., 0].min()) + 1) / (900 // 4)
        col_span = (int(out[..., 1].max()) - int(out[..., 1].min()) + 1) / (1200 // 5)
        assert ZOOM[0] - 0.02 <= row_span <= ZOOM[1] + 0.02
        assert ZOOM[0] - 0.02 <= col_span <= ZOOM[1] + 0.02

