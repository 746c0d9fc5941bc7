"""NearestIndex (a KD-tree) answers exactly as a scan of every platform would."""

from __future__ import annotations

import numpy as np
import pytest

from geo.nearest import NearestIndex

CRS = "EPSG:4547"


def brute(index: NearestIndex, lon, lat, k, *, mask, max_d):
    qx, qy = index._to_metric.transform(lon, lat)
    d = np.hypot(index._x - qx, index._y - qy)
    pos = np.arange(len(d))
    keep = np.ones(len(d), bool) if mask is None else mask.copy()
    if max_d is not None:
        keep &= d <= max_d
    pos, d = pos[keep], d[keep]
    order = np.lexsort((pos, d))[:k]
    return pos[order], d[order]


@pytest.mark.parametrize("seed", range(4))
def test_kd_tree_answers_equal_a_full_scan_with_ties_masks_and_radius(seed):
    rng = np.random.default_rng(seed)
    sites_lon = rng.uniform(113.2, 113.6, 40)
    sites_lat = rng.uniform(23.0, 23.3, 40)
    pick = rng.integers(0, 40, 300)  # 300 platforms on 40 sites: many exact ties
    index = NearestIndex(sites_lon[pick], sites_lat[pick], metric_crs=CRS)
    for _ in range(60):
        lon, lat = rng.uniform(113.2, 113.6), rng.uniform(23.0, 23.3)
        k = int(rng.integers(1, 30))
        mask = rng.random(300) < rng.choice([0.02, 0.3, 1.0]) if rng.random() < 0.7 else None
        max_d = float(rng.choice([500.0, 5_000.0, 20_000.0])) if rng.random() < 0.5 else None
        got = index.query(lon, lat, k=k, mask=mask, max_distance_m=max_d)
        want = brute(index, lon, lat, k, mask=mask, max_d=max_d)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-6)


def test_an_empty_index_and_an_empty_mask_answer_nothing():
    empty = NearestIndex([], [], metric_crs=CRS)
    assert len(empty.query(113.3, 23.1, k=3)[0]) == 0
    index = NearestIndex([113.3, 113.4], [23.1, 23.2], metric_crs=CRS)
    assert len(index.query(113.3, 23.1, k=3, mask=np.array([False, False]))[0]) == 0
