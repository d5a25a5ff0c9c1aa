"""Column widths that fit the table's width: the widest give way first, optional ones hide."""

from __future__ import annotations

from cras_desk.gui.widgets.column_fit import ColumnSpec, plan_widths


def test_columns_that_fit_keep_their_width_and_the_stretch_column_takes_the_rest() -> None:
    specs = [ColumnSpec(100, 100), ColumnSpec(200, 90), ColumnSpec(150, 100)]
    assert plan_widths(specs, 600, stretch=1) == [100, 350, 150]
    assert plan_widths(specs, 600) == [100, 200, 300]  # no stretch column: the last one


def test_the_widest_columns_give_way_first_and_never_below_their_narrowest() -> None:
    slots = [
        ColumnSpec(180, 70),
        ColumnSpec(250, 70),
        ColumnSpec(90, 70),
        ColumnSpec(70, 70),
        ColumnSpec(120, 70),
    ]
    widths = plan_widths(slots, 630)
    assert sum(widths) == 630
    assert widths[2:] == [90, 70, 120]  # the short columns stay whole
    assert widths[0] == widths[1] == 175
    squeezed = plan_widths(slots, 300)
    assert squeezed == [70, 70, 70, 70, 70]  # at their narrowest: the table is simply too narrow


def test_optional_columns_hide_lowest_first_when_the_kept_ones_cannot_fit() -> None:
    specs = [
        ColumnSpec(100, 100),
        ColumnSpec(150, 150, drop=2),
        ColumnSpec(200, 120),
        ColumnSpec(120, 120, drop=1),
    ]
    assert plan_widths(specs, 570) == [100, 150, 200, 120]
    assert plan_widths(specs, 500) == [100, 150, 250, None]  # "drop=1" goes first
    assert plan_widths(specs, 300) == [100, None, 200, None]
    assert plan_widths(specs, 230) == [100, None, 130, None]
