"""The statistics of a hot spots trial, as plain functions (no Django): randomisation,
displacement (WDD, WDQ), the effect as a rate ratio, and cost."""

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import stats


class AnalysisInputError(ValueError):
    """The inputs cannot give a meaningful answer; the message says why."""


def block_randomise(harm: np.ndarray, arms: int, seed: int) -> np.ndarray:
    """Arm index (0..arms-1) for each place: places ranked by harm, cut into blocks of
    `arms`, and each block shuffled, so every arm gets places of like harm. A last,
    incomplete block is shuffled over a random choice of arms."""
    harm = np.asarray(harm, dtype=float)
    if arms < 2:
        raise AnalysisInputError("a trial needs at least two arms")
    if harm.size < arms:
        raise AnalysisInputError(f"{harm.size} hot spot(s) cannot fill {arms} arms; a trial "
                                 "needs at least one per arm")
    rng = np.random.default_rng(seed)
    order = np.argsort(-harm, kind="stable")
    out = np.empty(harm.size, dtype=np.int64)
    for start in range(0, harm.size, arms):
        block = order[start:start + arms]
        out[block] = rng.permutation(arms)[:block.size]
    return out


def crossover_schedule(places: int, days: int, seed: int) -> np.ndarray:
    """Each day each place is patrolled or not at random, half and half each day (as in
    Southend): a (days x places) boolean array."""
    if days < 1:
        raise AnalysisInputError("a crossover trial lasts at least one day")
    if places < 2:
        raise AnalysisInputError("a crossover trial needs at least two hot spots")
    rng = np.random.default_rng(seed)
    out = np.zeros((days, places), dtype=bool)
    for d in range(days):
        # An odd place out is patrolled on alternate days, so over the trial it is even.
        out[d, rng.permutation(places)[: places // 2 + (places % 2) * (d % 2)]] = True
    return out


@dataclass(frozen=True)
class WDD:
    estimate: float
    variance: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float


def wdd(*, control: tuple[float, float], treated: tuple[float, float],
        disp_control: tuple[float, float] = (0, 0),
        disp_treated: tuple[float, float] = (0, 0)) -> WDD:
    """Weighted displacement difference (Wheeler and Ratcliffe 2018): each pair is (before,
    after) counts. Negative is a fall in the treated area net of the control, with the
    displacement buffers' changes added."""
    pairs = [control, treated, disp_control, disp_treated]
    flat = np.array([x for pair in pairs for x in pair], dtype=float)
    if (flat < 0).any() or not np.isfinite(flat).all():
        raise AnalysisInputError("counts are finite and not negative")
    (cb, ca), (tb, ta), (dcb, dca), (dtb, dta) = pairs
    estimate = (ta - tb) - (ca - cb) + (dta - dtb) - (dca - dcb)
    variance = float(flat.sum())
    se = float(np.sqrt(variance))
    z = estimate / se if se > 0 else 0.0
    return WDD(estimate=float(estimate), variance=variance, se=se, z=float(z),
               p=float(2 * stats.norm.sf(abs(z))), ci_low=float(estimate - 1.959964 * se),
               ci_high=float(estimate + 1.959964 * se))


def wdq(*, response: tuple[float, float], buffer: tuple[float, float],
        control: tuple[float, float]) -> float:
    """Weighted displacement quotient (Bowers and Johnson 2003), pairs (before, after).
    Above 0: diffusion of benefits; below -1: displacement outweighed the gain."""
    (rb, ra), (db, da), (cb, ca) = response, buffer, control
    if cb <= 0 or ca <= 0:
        raise AnalysisInputError("the control area needs crime before and after")
    success = ra / ca - rb / cb
    if success == 0:
        raise AnalysisInputError("the response area did not change against the control, so "
                                 "the quotient is undefined")
    return float((da / ca - db / cb) / success)


@dataclass(frozen=True)
class RateRatio:
    ratio: float
    ci_low: float
    ci_high: float
    p: float
    model: str
    n: int


def rate_ratio(*, counts: np.ndarray, treated: np.ndarray, exposure: np.ndarray | None = None,
               before: np.ndarray | None = None, model: str = "poisson") -> RateRatio:
    """Crime in treated places against control over the trial, as a rate ratio from a
    Poisson or negative binomial GLM (log link), adjusting for each place's count before
    the trial when given (log(before + 1)), with exposure (days) as an offset."""
    import statsmodels.api as sm

    y = np.asarray(counts, dtype=float)
    t = np.asarray(treated, dtype=float)
    if y.size != t.size or y.size < 3:
        raise AnalysisInputError("need a count and an arm for at least three places")
    if not (t.min() == 0 and t.max() == 1):
        raise AnalysisInputError("need both treated and control places")
    if y.sum() == 0:
        raise AnalysisInputError("no crime in the window at any place: there is no rate to "
                                 "compare")
    columns = [np.ones_like(t), t]
    if before is not None:
        adjust = np.log1p(np.asarray(before, dtype=float))
        if np.ptp(adjust) > 0:  # a constant would only duplicate the intercept
            columns.append(adjust)
    x = np.column_stack(columns)
    offset = np.log(np.asarray(exposure, dtype=float)) if exposure is not None else None
    family = (sm.families.Poisson() if model == "poisson"
              else sm.families.NegativeBinomial(alpha=1.0))
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(y, x, family=family, offset=offset).fit()
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise AnalysisInputError(f"the model cannot be estimated from these counts "
                                     f"({type(exc).__name__}): too few crimes in one arm?"
                                     ) from None
    # A perfect fit (every place in an arm alike) still estimates the ratio; a singular or
    # numerically broken fit does not.
    bad = [w for w in caught if not issubclass(w.category, PerfectSeparationWarning)]
    if bad:
        raise AnalysisInputError(f"the model cannot be estimated from these counts "
                                 f"({bad[0].category.__name__}): too few crimes in one arm?")
    coef, se = float(fit.params[1]), float(fit.bse[1])
    if not (np.isfinite(coef) and np.isfinite(se)):
        raise AnalysisInputError("the model gave no finite estimate: too few crimes?")
    return RateRatio(ratio=float(np.exp(coef)), ci_low=float(np.exp(coef - 1.959964 * se)),
                     ci_high=float(np.exp(coef + 1.959964 * se)), p=float(fit.pvalues[1]),
                     model=model, n=int(y.size))


@dataclass(frozen=True)
class Cost:
    hours: float
    total: float
    per_hour: float
    per_visit: float | None
    per_harm_prevented: float | None


def patrol_cost(*, hours_by_role: dict[str, float], rate_by_role: dict[str, float],
                visits: int, harm_prevented: float | None) -> Cost:
    """Patrol hours by role times an hourly cost; per visit and per unit of harm prevented
    (none when nothing was prevented: a cost per negative harm means nothing)."""
    missing = sorted(r for r in hours_by_role if r not in rate_by_role)
    if missing:
        raise AnalysisInputError(f"no hourly cost for {', '.join(missing)}")
    for role, rate in rate_by_role.items():
        if not rate > 0:
            raise AnalysisInputError(f"the hourly cost for {role} must be above zero")
    hours = float(sum(hours_by_role.values()))
    total = float(sum(h * rate_by_role[r] for r, h in hours_by_role.items()))
    return Cost(hours=hours, total=total, per_hour=total / hours if hours else 0.0,
                per_visit=total / visits if visits else None,
                per_harm_prevented=(total / harm_prevented
                                    if harm_prevented and harm_prevented > 0 else None))


def trial_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=d) for d in range((end - start).days + 1)]
