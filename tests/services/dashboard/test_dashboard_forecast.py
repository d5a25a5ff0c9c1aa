"""The demand forecast recovers series whose trend and seasonality are known.

Stated errors: on 3 years of weekly referrals with a known linear trend and a yearly cycle plus
noise of sd 4 (about 3% of the level), the 12 weeks forecast are within 5% mean absolute
percentage error of the true, noise-free values, the seasonal model is chosen, and the 95%
interval holds at least 10 of the 12 noise-free values. On a short trend-only series Holt's
linear trend is within 3% of the true line.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from datetime import date, timedelta

import pytest

from cras_desk.services.dashboard import forecast

START = date(2027, 1, 4)  # a Monday


def truth(t: int, level: float = 120.0, slope: float = 0.3, amplitude: float = 25.0) -> float:
    return level + slope * t + amplitude * math.sin(2 * math.pi * t / 52) + 8 * math.cos(4 * math.pi * t / 52)


def test_seasonal_series_with_trend_is_recovered() -> None:
    rng = random.Random(20261204)
    weeks = 156
    history = [round(truth(t) + rng.gauss(0, 4)) for t in range(weeks)]
    made = forecast.forecast_weeks(history, START, 12)
    assert made is not None
    assert made.model == "holt_winters_additive"
    assert made.backtest is not None and made.backtest.mape is not None
    future = [truth(t) for t in range(weeks, weeks + 12)]
    mape = sum(abs(p.mean - f) / f for p, f in zip(made.points, future, strict=True)) / 12 * 100
    assert mape < 5.0, mape
    covered = sum(p.lower_95 <= f <= p.upper_95 for p, f in zip(made.points, future, strict=True))
    assert covered >= 10
    assert [p.week_start for p in made.points] == [START + timedelta(weeks=k) for k in range(12)]
    # The backtest's own error is of the same order as the noise, not of the seasonal swing.
    assert made.backtest.mae < 10
    # Every candidate was scored, best first.
    maes = [c.mae for c in made.candidates]
    assert maes == sorted(maes)
    assert {c.model for c in made.candidates} >= {"seasonal_naive", "holt_linear", "holt_winters_additive"}


def test_short_trend_series_is_extrapolated() -> None:
    rng = random.Random(7)
    history = [round(50 + 2.0 * t + rng.gauss(0, 1)) for t in range(30)]
    made = forecast.forecast_weeks(history, START, 12)
    assert made is not None
    # Two years are not held: no seasonal candidate is tried.
    assert not {c.model for c in made.candidates} & {"seasonal_naive", "holt_winters_additive"}
    assert made.model in ("holt_linear", "holt_damped")
    future = [50 + 2.0 * t for t in range(30, 42)]
    worst = max(abs(p.mean - f) / f for p, f in zip(made.points, future, strict=True))
    assert worst < 0.03, worst
    widths = [p.upper_80 - p.lower_80 for p in made.points]
    assert widths[-1] > widths[0]  # uncertainty grows with the horizon


def test_backtest_scores_a_known_error() -> None:
    # A series alternating 10, 20: the mean of the last 8 weeks is always 15, five off every week.
    y = [10.0, 20.0] * 12
    fitter = dict(forecast.candidates(len(y)))["recent_mean"]
    error = forecast.backtest(y, fitter, "recent_mean", 6)
    assert error is not None
    assert error.mae == pytest.approx(5.0)
    assert error.mape == pytest.approx((5 / 10 + 5 / 20) / 2 * 100)
    assert error.folds == forecast.MAX_FOLDS and error.horizon == 6


def test_too_short_a_history_makes_no_forecast() -> None:
    assert forecast.forecast_weeks([5] * (forecast.MIN_WEEKS - 1), START, 12) is None


def test_the_desk_does_not_import_statsmodels_until_a_forecast() -> None:
    code = (
        "import sys\n"
        "import cras_desk.services.dashboard\n"
        "assert 'statsmodels' not in sys.modules and 'pandas' not in sys.modules\n"
        "from cras_desk.services.dashboard import forecast\n"
        "forecast.forecast_weeks(list(range(20)), __import__('datetime').date(2027, 1, 4), 4)\n"
        "assert 'statsmodels' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
