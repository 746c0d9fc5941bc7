"""Sites shared by several platforms are marked "×n", so stacked dots are not undercounted."""

import shapely

from geo.snapshot import snapshot_figure


def _marks(ax):
    return sorted(t.get_text() for t in ax.texts if t.get_gid() == "stack-count")


def test_shared_sites_are_marked_with_their_count(platforms, layers, city):
    few = platforms.head(6).copy()
    site = shapely.Point(113.30, 23.14)  # Yuexiu: inside the inset
    few.loc[few.index[:3], "geometry"] = site
    few.loc[few.index[3:5], "geometry"] = shapely.Point(113.70, 23.60)  # Conghua: main map
    snap = snapshot_figure(few, layers, city=city, lang="en")
    assert _marks(snap.inset_ax) == ["×3"]
    assert _marks(snap.map_ax) == ["×2"]  # the central site is left to the inset
    assert any("share one approximate" in n for n in snap.notes)


def test_no_marks_or_note_when_every_site_is_single(platforms, layers, city):
    one = platforms.head(1)
    snap = snapshot_figure(one, layers, city=city, lang="en")
    assert _marks(snap.map_ax) == []
    assert not any("share one approximate" in n for n in snap.notes)
