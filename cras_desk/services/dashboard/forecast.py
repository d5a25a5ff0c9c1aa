"""Weekly demand forecast: candidates chosen by a rolling-origin backtest, with prediction intervals.

Pure maths over a list of weekly counts; no database, no Qt. statsmodels is imported inside the
functions that fit a model: it costs about a second to import, which a desk that never opens the
dashboard must not pay at start-up.

Candidates (weekly data): the mean of the last 8 weeks, simple exponential smoothing, Holt's linear
trend, Holt's damped trend, and, once two full years are held, the seasonal naive (the same week a
year ago) and additive Holt-Winters with a 52-week season. The backtest refits each candidate at
several origins and scores every forecast 1 to `horizon` weeks ahead of each origin; the candidate
with the lowest mean absolute error wins (ties to the one listed first, the simpler). Its 80% and
95% intervals come from the fitted ETS state-space model (statsmodels ETSModel, additive errors);
the baselines' from their in-sample one-step errors, widened with the horizon as a random walk's.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from statistics import NormalDist

from cras_desk.services.dashboard.figures import BacktestError, DemandForecast, ForecastPoint

SEASON = 52  # weeks in a year, near enough for weekly referral counts
MIN_WEEKS = 12  # fewer complete weeks than this and no forecast is made
MIN_TRAIN = 8  # the shortest history a backtest origin fits on
MAX_FOLDS = 3
FOLD_STEP = 3  # weeks between backtest origins
MEAN_WINDOW = 8
_Z80 = NormalDist().inv_cdf(0.90)
_Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True, slots=True)
class _Prediction:
    mean: tuple[float, ...]
    lower_80: tuple[float, ...]
    upper_80: tuple[float, ...]
    lower_95: tuple[float, ...]
    upper_95: tuple[float, ...]


_Fitter = Callable[[Sequence[float], int, bool], _Prediction]


def _normal_bands(mean: Sequence[float], sd: Sequence[float]) -> _Prediction:
    return _Prediction(
        tuple(mean),
        tuple(m - _Z80 * s for m, s in zip(mean, sd, strict=True)),
        tuple(m + _Z80 * s for m, s in zip(mean, sd, strict=True)),
        tuple(m - _Z95 * s for m, s in zip(mean, sd, strict=True)),
        tuple(m + _Z95 * s for m, s in zip(mean, sd, strict=True)),
    )


def _rms(errors: Sequence[float]) -> float:
    return math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else 0.0


def _recent_mean(y: Sequence[float], horizon: int, intervals: bool) -> _Prediction:
    window = list(y[-MEAN_WINDOW:])
    level = sum(window) / len(window)
    sd = [0.0] * horizon
    if intervals:
        errors = [y[t] - sum(y[t - MEAN_WINDOW : t]) / MEAN_WINDOW for t in range(MEAN_WINDOW, len(y))]
        sigma = _rms(errors)
        sd = [sigma * math.sqrt(1 + h / MEAN_WINDOW) for h in range(1, horizon + 1)]
    return _normal_bands([level] * horizon, sd)


def _seasonal_naive(y: Sequence[float], horizon: int, intervals: bool) -> _Prediction:
    mean = [y[len(y) - SEASON + (h % SEASON)] for h in range(horizon)]
    sd = [0.0] * horizon
    if intervals:
        sigma = _rms([y[t] - y[t - SEASON] for t in range(SEASON, len(y))])
        sd = [sigma * math.sqrt(h // SEASON + 1) for h in range(horizon)]
    return _normal_bands(mean, sd)


def prepare() -> None:
    """Import the forecasting libraries now: a second or more, better spent on a worker thread
    when a lead signs in than between opening the dashboard and its first figures."""
    # OpenBLAS would start a thread per core for matrices of a few dozen numbers: on a busy
    # two-core desk that made each fit five times slower. Only effective before numpy loads;
    # the desk itself never loads numpy, so in practice it is.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import pandas  # type: ignore[import-untyped]  # noqa: F401
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401


def _ets(trend: bool, damped: bool, seasonal: bool) -> _Fitter:
    def fit(y: Sequence[float], horizon: int, intervals: bool) -> _Prediction:
        prepare()
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        model = ETSModel(
            # A pandas series, not an array: ETSModel's prediction results need an index.
            pd.Series(list(y), dtype=float),
            error="add",
            trend="add" if trend else None,
            damped_trend=damped,
            seasonal="add" if seasonal else None,
            seasonal_periods=SEASON if seasonal else None,
            initialization_method="estimated" if not seasonal else "heuristic",
        )
        with warnings.catch_warnings():
            # Short series make the optimiser warn about convergence; the backtest judges the fit.
            warnings.simplefilter("ignore")
            result = model.fit(disp=False, maxiter=100)
            mean = [float(v) for v in result.forecast(horizon)]
            if not intervals:
                return _Prediction(tuple(mean), (), (), (), ())
            pred = result.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frame80 = pred.summary_frame(alpha=0.20)
            frame95 = pred.summary_frame(alpha=0.05)
        return _Prediction(
            tuple(mean),
            tuple(float(v) for v in frame80["pi_lower"]),
            tuple(float(v) for v in frame80["pi_upper"]),
            tuple(float(v) for v in frame95["pi_lower"]),
            tuple(float(v) for v in frame95["pi_upper"]),
        )

    return fit


def candidates(weeks: int) -> list[tuple[str, _Fitter]]:
    """The models worth trying on a history of this many weeks, simplest first."""
    chosen: list[tuple[str, _Fitter]] = [
        ("recent_mean", _recent_mean),
        ("simple_exponential_smoothing", _ets(trend=False, damped=False, seasonal=False)),
        ("holt_linear", _ets(trend=True, damped=False, seasonal=False)),
        ("holt_damped", _ets(trend=True, damped=True, seasonal=False)),
    ]
    if weeks >= 2 * SEASON:
        chosen.insert(1, ("seasonal_naive", _seasonal_naive))
        chosen.append(("holt_winters_additive", _ets(trend=True, damped=False, seasonal=True)))
    return chosen


def backtest(y: Sequence[float], fitter: _Fitter, name: str, horizon: int) -> BacktestError | None:
    """Rolling-origin error of one candidate: fit on y[:origin], score y[origin:origin + h]."""
    h = min(horizon, len(y) - MIN_TRAIN)
    if h < 1:
        return None
    min_train = 2 * SEASON if name in ("seasonal_naive", "holt_winters_additive") else MIN_TRAIN
    origins = [len(y) - h - FOLD_STEP * k for k in range(MAX_FOLDS)]
    origins = [o for o in origins if o >= min_train]
    if not origins:
        return None
    abs_errors: list[float] = []
    pct_errors: list[float] = []
    zero_seen = False
    for origin in origins:
        predicted = fitter(y[:origin], h, False).mean
        for actual, guess in zip(y[origin : origin + h], predicted, strict=True):
            abs_errors.append(abs(actual - guess))
            if actual == 0:
                zero_seen = True
            else:
                pct_errors.append(abs(actual - guess) / abs(actual) * 100)
    mape = None if zero_seen else sum(pct_errors) / len(pct_errors)
    return BacktestError(name, sum(abs_errors) / len(abs_errors), mape, len(origins), h)


def forecast_weeks(history: Sequence[int], first_week: date, horizon: int) -> DemandForecast | None:
    """The forecast of the `horizon` weeks from first_week, given complete weeks before it."""
    if len(history) < MIN_WEEKS:
        return None
    return _forecast(tuple(history), first_week, horizon)


@lru_cache(maxsize=64)
def _forecast(history: tuple[int, ...], first_week: date, horizon: int) -> DemandForecast:
    # Cached: the dashboard refreshes whenever referrals change, but complete weeks only change
    # once a week, and refitting every candidate at every origin is most of the work.
    y = [float(v) for v in history]
    scored: list[tuple[BacktestError, int, str, _Fitter]] = []
    for order, (name, fitter) in enumerate(candidates(len(y))):
        error = backtest(y, fitter, name, horizon)
        if error is not None and math.isfinite(error.mae):
            scored.append((error, order, name, fitter))
    scored.sort(key=lambda item: (item[0].mae, item[1]))
    if scored:
        best_error: BacktestError | None = scored[0][0]
        name, fitter = scored[0][2], scored[0][3]
    else:
        best_error, (name, fitter) = None, candidates(len(y))[0]
    prediction = fitter(y, horizon, True)
    points = tuple(
        ForecastPoint(
            first_week + timedelta(weeks=k),
            # Referral counts cannot go below nought, whatever a trend says.
            max(0.0, prediction.mean[k]),
            max(0.0, prediction.lower_80[k]),
            max(0.0, prediction.upper_80[k]),
            max(0.0, prediction.lower_95[k]),
            max(0.0, prediction.upper_95[k]),
        )
        for k in range(horizon)
    )
    return DemandForecast(name, points, best_error, tuple(item[0] for item in scored))


def clear_cache() -> None:
    """Forget every forecast made: the next one is fitted afresh (benchmarks time the fitting)."""
    _forecast.cache_clear()
