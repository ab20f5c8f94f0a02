"""The statistics of a hot spots trial, as plain functions (no Django): randomisation,
displacement (WDD, WDQ), the effect as a rate ratio, and cost."""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import stats

from core.errors import InputError


class AnalysisInputError(InputError):
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


NO_CONTROL = ("this trial has no control arm, so there is nothing to compare the patrolled "
              "places with: without a control, before against after mixes the patrol's effect "
              "with every other change over the same time (season, trend, a change in "
              "recording)")


def wdd(*, control: tuple[float, float] | None, treated: tuple[float, float],
        disp_control: tuple[float, float] = (0, 0),
        disp_treated: tuple[float, float] = (0, 0)) -> WDD:
    """Weighted displacement difference (Wheeler and Ratcliffe 2018): each pair is (before,
    after) counts. Negative is a fall in the treated area net of the control, with the
    displacement buffers' changes added. Refused without a control area (None): what is
    left is a before/after change, which the WDD's z would present as an effect."""
    if control is None:
        raise AnalysisInputError(f"no WDD: {NO_CONTROL}")
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
    Read it with `wdq_read`: its meaning depends on the sign of the success measure."""
    (rb, ra), (db, da), (cb, ca) = response, buffer, control
    if cb <= 0 or ca <= 0:
        raise AnalysisInputError("the control area needs crime before and after")
    success = ra / ca - rb / cb
    if success == 0:
        raise AnalysisInputError("the response area did not change against the control, so "
                                 "the quotient is undefined")
    return float((da / ca - db / cb) / success)


@dataclass(frozen=True)
class WDQReading:
    quotient: float
    success: float        # Ra/Ca - Rb/Cb: below 0 the treated area improved on the control
    buffer_change: float  # Da/Ca - Db/Cb: below 0 the area around it improved
    reading: str          # diffusion, no-displacement, net-benefit, no-net-benefit,
    #                       net-loss, or treated-worse
    text: str


def wdq_read(*, response: tuple[float, float], buffer: tuple[float, float],
             control: tuple[float, float]) -> WDQReading:
    """The WDQ with its reading. Bowers and Johnson's scale (above 0 diffusion of benefits,
    0 to -1 displacement smaller than the gain, below -1 displacement larger than it)
    assumes the success measure is negative: the treated area improved against the
    control. When it got worse there was no gain to displace, and the same quotient's sign
    flips meaning (a positive WDQ is then the area around it getting worse too), so that
    case is read from the two changes directly, never on the scale."""
    quotient = wdq(response=response, buffer=buffer, control=control)
    (rb, ra), (db, da), (cb, ca) = response, buffer, control
    success, change = ra / ca - rb / cb, da / ca - db / cb
    if success > 0:
        around = ("the area around them got worse too" if change > 0 else
                  "the area around them improved" if change < 0 else
                  "the area around them did not change")
        return WDQReading(quotient, success, change, "treated-worse",
                          "the treated places got worse against the control, so there was "
                          "no gain to displace or spread and the quotient's scale does not "
                          f"apply; {around}")
    if quotient > 0:
        reading, text = "diffusion", ("diffusion of benefits: the area around the treated "
                                      "places improved too")
    elif quotient == 0:
        reading, text = "no-displacement", ("no displacement: the area around the treated "
                                            "places did not change against the control")
    elif quotient > -1:
        reading, text = "net-benefit", ("some displacement, smaller than the gain: a net "
                                        "benefit")
    elif quotient == -1:
        reading, text = "no-net-benefit", "displacement as large as the gain: no net benefit"
    else:
        reading, text = "net-loss", "displacement larger than the gain: a net loss"
    return WDQReading(quotient, success, change, reading, text)


# --- The effect: a rate ratio with an interval that holds under overdispersion ----------
#
# Places differ far more than Poisson allows (a coefficient of variation of 0.2-0.8 between
# hot spots), and a model-based Poisson interval then covers the true ratio in only half to
# nine in ten trials (issue 16). The ratio here is the Poisson (quasi-)likelihood estimate,
# which stays consistent for a multiplicative effect however the variance or the baseline
# adjustment is misspecified, because randomisation makes the arm independent of everything
# else (a negative binomial's weights lose that, and its intervals were wider in the same
# simulations). Its variance is the sandwich with the HC2 leverage correction (Kauermann and
# Carroll 2001), and the interval uses a t with Bell and McCaffrey's (2002) degrees of
# freedom, as Imbens and Kolesar (2016) advise for few units: with 20-40 places the plain
# sandwich and a normal quantile under-cover (0.90-0.94). The variance is never below the
# model's own Poisson variance, which a sandwich on a few places can undercut by chance.
# Simulated coverage is in tests/evaluation/test_simulation.py.

PARALLEL_MODEL = "Poisson rate ratio, robust (HC2) errors, t with Bell-McCaffrey degrees of freedom"


@dataclass(frozen=True)
class RateRatio:
    ratio: float
    ci_low: float
    ci_high: float
    p: float
    df: float  # the t's degrees of freedom (Bell-McCaffrey)
    model: str
    n: int


@dataclass(frozen=True)
class RateRatios:
    """Many trials' rate ratios at once (the simulation's path through the same code)."""

    log_ratio: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p: np.ndarray
    ok: np.ndarray  # False where the model could not be estimated


def _glm(y: np.ndarray, x: np.ndarray, offset: np.ndarray,
         trials: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical-link GLMs by iteratively reweighted least squares, for K problems at once
    (y, offset: K x n; x: K x n x p): Poisson with a log link, or binomial with a logit link
    when `trials` gives each row's number of trials. Returns the coefficients (K x p), the
    fitted means (K x n) and whether each fit converged to finite values (K)."""
    k, _, p = x.shape
    if trials is None:
        mu = y + 0.5
        eta = np.log(mu)
    else:
        prob = (y + 0.5) / (trials + 1.0)
        eta = np.log(prob / (1 - prob))
    beta = np.zeros((k, p))
    ok = np.ones(k, dtype=bool)
    eye = np.eye(p)
    for _ in range(100):
        if trials is None:
            mu = np.exp(eta)
            var = mu
        else:
            prob = 1 / (1 + np.exp(-eta))
            mu = trials * prob
            var = mu * (1 - prob)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, eta - offset + (y - mu) / var, 0.0)
        xtw = x.transpose(0, 2, 1) * var[:, None, :]
        a = xtw @ x
        # A singular system (a covariate that is constant, an arm with no weight) marks its
        # fit as failed instead of stopping the whole batch.
        cond = np.linalg.cond(a)
        bad = ~np.isfinite(cond) | (cond > 1e12)
        ok &= ~bad
        a[bad] = eye
        new = np.linalg.solve(a, (xtw @ z[..., None]))[..., 0]
        new[bad] = 0.0
        step = np.abs(new - beta).max(axis=1)
        beta = new
        eta = (x @ beta[..., None])[..., 0] + offset
        if (step[ok] < 1e-10 * (1 + np.abs(beta[ok]).max(axis=1))).all():
            break
    else:
        ok &= step < 1e-8 * (1 + np.abs(beta).max(axis=1))
    mu = np.exp(eta) if trials is None else trials / (1 + np.exp(-eta))
    ok &= np.isfinite(beta).all(axis=1) & np.isfinite(mu).all(axis=1)
    return beta, mu, ok


def _robust(y: np.ndarray, x: np.ndarray, mu: np.ndarray, var: np.ndarray, j: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HC2 sandwich variance of coefficient j (floored at the model-based variance) and its
    Bell-McCaffrey degrees of freedom, for K fits at once. Returns (variance, df, ok)."""
    n = x.shape[1]
    sw = np.sqrt(var)
    xs = x * sw[..., None]
    a_inv = np.linalg.inv(xs.transpose(0, 2, 1) @ xs)
    hat = xs @ a_inv @ xs.transpose(0, 2, 1)
    h = np.einsum("kii->ki", hat)
    # A place that decides a coefficient on its own (leverage 1) leaves nothing to estimate
    # that coefficient's variance from.
    ok = h.max(axis=1) < 1 - 1e-9
    h = np.minimum(h, 1 - 1e-9)
    contrast = (xs @ a_inv[:, :, j][..., None])[..., 0]  # each row's weight in beta_j
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(sw > 0, (y - mu) / sw, 0.0)
    lam = contrast ** 2 / (1 - h)
    # Never below the model's own (Poisson or binomial) variance: crime counts are not less
    # variable than that, and a sandwich alone reads places that happen to agree (4 places,
    # each arm's counts alike) as a ratio known exactly.
    variance = np.maximum((lam * pearson ** 2).sum(axis=1), a_inv[:, j, j])
    # Under the working model the HC2 variance is a weighted sum of chi-squares with weights
    # the eigenvalues of (I - H) diag(lam) (I - H); Satterthwaite's df from their sum and
    # sum of squares (trace and Frobenius norm, so no eigendecomposition is needed).
    resid = np.eye(n) - hat
    m = resid @ (lam[..., None] * resid)
    df = np.einsum("kii->k", m) ** 2 / (m ** 2).sum(axis=(1, 2))
    ok &= np.isfinite(variance) & (variance > 0) & np.isfinite(df)
    return variance, df, ok


def _intervals(log_ratio: np.ndarray, variance: np.ndarray, df: np.ndarray,
               ok: np.ndarray) -> RateRatios:
    se = np.sqrt(np.where(ok, variance, np.nan))
    df = np.where(ok, df, np.nan)
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(0.975, df)
        p = 2 * stats.t.sf(np.abs(log_ratio) / se, df)
    return RateRatios(log_ratio=log_ratio, se=se, df=df, ci_low=np.exp(log_ratio - q * se),
                      ci_high=np.exp(log_ratio + q * se), p=p, ok=ok)


def rate_ratios(*, counts: np.ndarray, treated: np.ndarray,
                before: np.ndarray | None = None,
                exposure: np.ndarray | None = None) -> RateRatios:
    """Rate ratios, treated against control, for K trials of n places (K x n arrays): a
    Poisson log-linear model of the counts during the trial on the arm and log(before + 1),
    with log exposure as an offset, robust HC2 errors and a t on Bell-McCaffrey df."""
    y = np.atleast_2d(np.asarray(counts, dtype=float))
    t = np.atleast_2d(np.asarray(treated, dtype=float))
    columns = [np.ones_like(y), t]
    if before is not None:
        columns.append(np.log1p(np.atleast_2d(np.asarray(before, dtype=float))))
    x = np.stack(columns, axis=2)
    offset = (np.log(np.atleast_2d(np.asarray(exposure, dtype=float)))
              if exposure is not None else np.zeros_like(y))
    beta, mu, ok = _glm(y, x, offset)
    variance, df, robust_ok = _robust(y, x, mu, mu, 1)
    return _intervals(beta[:, 1], variance, df, ok & robust_ok)


def _single(r: RateRatios, model: str, n: int) -> RateRatio:
    if not r.ok[0]:
        raise AnalysisInputError("the model cannot be estimated from these counts: too few "
                                 "places or crimes, or one place decides the result alone")
    return RateRatio(ratio=float(np.exp(r.log_ratio[0])), ci_low=float(r.ci_low[0]),
                     ci_high=float(r.ci_high[0]), p=float(r.p[0]), df=float(r.df[0]),
                     model=model, n=n)


def rate_ratio(*, counts: np.ndarray, treated: np.ndarray, exposure: np.ndarray | None = None,
               before: np.ndarray | None = None) -> RateRatio:
    """Crime in treated places against control over the trial, as a rate ratio with its 95%
    interval (see `rate_ratios`), adjusting for each place's count before the trial when
    given and with exposure (days) as an offset when given."""
    y = np.asarray(counts, dtype=float)
    t = np.asarray(treated, dtype=float)
    if y.ndim != 1 or y.size != t.size or y.size < 3:
        raise AnalysisInputError("need a count and an arm for at least three places")
    if (y < 0).any() or not np.isfinite(y).all():
        raise AnalysisInputError("counts are finite and not negative")
    if not (t.min() == 0 and t.max() == 1):
        raise AnalysisInputError("need both treated and control places")
    if y.sum() == 0:
        raise AnalysisInputError("no crime in the window at any place: there is no rate to "
                                 "compare")
    for arm, label in ((1, "treated"), (0, "control")):
        if y[t == arm].sum() == 0:
            raise AnalysisInputError(f"no crime at the {label} places during the trial: the "
                                     "ratio would be 0 or infinite, with no interval")
    if before is not None and np.ptp(np.log1p(np.asarray(before, dtype=float))) == 0:
        before = None  # a constant would only duplicate the intercept
    covariates = 2 + (before is not None)
    if y.size - covariates < 1:
        raise AnalysisInputError(f"{y.size} places cannot estimate {covariates} coefficients "
                                 "and their error: the trial needs more places")
    return _single(rate_ratios(counts=y[None], treated=t[None],
                               before=None if before is None else np.asarray(before)[None],
                               exposure=None if exposure is None
                               else np.asarray(exposure)[None]), PARALLEL_MODEL, int(y.size))


def crossover_rate_ratios(*, on: np.ndarray, off: np.ndarray, on_days: np.ndarray,
                          off_days: np.ndarray) -> RateRatios:
    """Rate ratios, patrolled days against days off, for K crossover trials of P places
    (K x P arrays: crimes on patrolled days and on days off, and how many of each day). Each
    place is its own control: conditional on its total, a place's crimes on patrolled days
    are binomial with odds ratio x on_days / off_days (the Poisson model with a rate for
    each place, without estimating those rates). Errors are robust across places (HC2,
    Bell-McCaffrey df), so day-to-day overdispersion and runs of crime within a place are
    allowed for."""
    on = np.atleast_2d(np.asarray(on, dtype=float))
    off = np.atleast_2d(np.asarray(off, dtype=float))
    on_days = np.atleast_2d(np.asarray(on_days, dtype=float))
    off_days = np.atleast_2d(np.asarray(off_days, dtype=float))
    # A place never patrolled (or never off) has no comparison of its own: it gets no weight.
    both = (on_days > 0) & (off_days > 0)
    total = np.where(both, on + off, 0.0)
    y = np.where(both, on, 0.0)
    offset = np.log(np.divide(on_days, off_days, out=np.ones_like(on_days), where=both))
    x = np.ones((*y.shape, 1))
    beta, mu, ok = _glm(y, x, offset, trials=total)
    var = np.where(total > 0, mu * (1 - mu / np.where(total > 0, total, 1)), 0.0)
    variance, df, robust_ok = _robust(y, x, mu, var, 0)
    return _intervals(beta[:, 0], variance, df, ok & robust_ok)


def crossover_rate_ratio(*, counts: np.ndarray, patrolled: np.ndarray) -> RateRatio:
    """A crossover trial's rate ratio from its (days x places) crime counts and schedule."""
    y = np.asarray(counts, dtype=float)
    on = np.asarray(patrolled, dtype=bool)
    if y.shape != on.shape or y.ndim != 2:
        raise AnalysisInputError("need a count and a patrolled flag for each place and day")
    if y.sum() == 0:
        raise AnalysisInputError("no crime in the window at any place: there is no rate to "
                                 "compare")
    if y[on].sum() == 0 or y[~on].sum() == 0:
        side = "patrolled days" if y[on].sum() == 0 else "days off"
        raise AnalysisInputError(f"no crime on {side}: the ratio would be 0 or infinite, "
                                 "with no interval")
    on_days, off_days = on.sum(axis=0), (~on).sum(axis=0)
    places = int(((on_days > 0) & (off_days > 0) & (y.sum(axis=0) > 0)).sum())
    if places < 2:
        raise AnalysisInputError("crime at fewer than two places that had both patrolled "
                                 "days and days off: too few to estimate an error")
    r = crossover_rate_ratios(on=(y * on).sum(axis=0)[None], off=(y * ~on).sum(axis=0)[None],
                              on_days=on_days[None], off_days=off_days[None])
    return _single(r, "Rate ratio within places (conditional Poisson), robust (HC2) errors "
                      "across places, t with Bell-McCaffrey degrees of freedom", places)


# --- Design-based inference: re-randomise as the design did -----------------------------
#
# Under the sharp null that patrol changes nothing at any place, the counts are fixed and
# only the assignment is random, with a distribution the design itself defines. Drawing
# assignments the way the design drew them and recomputing a statistic gives a p-value
# whose size holds whatever the distribution of crime (Fisher; Rosenbaum 2002). The
# statistic is the score for the arm under the null model, sum(assigned * residual): it is
# linear in the assignment, so every re-randomisation is one matrix product.

PERMUTATIONS = 9999


def _p_value(observed: float, draws: np.ndarray) -> float:
    # Counts are discrete, so exact ties are common: they count as at least as extreme.
    tolerance = 1e-9 * (1 + abs(observed))
    extreme = int((np.abs(draws) >= abs(observed) - tolerance).sum())
    return (1 + extreme) / (1 + draws.size)


def block_permutation_p(*, counts: np.ndarray, blocks: np.ndarray, arms: np.ndarray,
                        control: np.ndarray, before: np.ndarray | None = None, seed: int,
                        permutations: int = PERMUTATIONS) -> float:
    """Two-sided randomisation p-value for a block-randomised parallel trial: the arms are
    dealt again within each block as `block_randomise` deals them (each block a random
    order of the arms; an incomplete last block a random choice of them). `arms` is each
    place's arm index, `control` a flag for each arm. Residuals come from the null model,
    a Poisson model of the counts on log(before + 1)."""
    y = np.asarray(counts, dtype=float)
    arm = np.asarray(arms, dtype=np.int64)
    is_control = np.asarray(control, dtype=bool)
    if y.sum() == 0:
        raise AnalysisInputError("no crime in the window at any place: there is nothing to "
                                 "test")
    if is_control[arm].all() or not is_control[arm].any():
        raise AnalysisInputError("need both treated and control places")
    columns = [np.ones_like(y)]
    if before is not None and np.ptp(np.log1p(np.asarray(before, dtype=float))) > 0:
        columns.append(np.log1p(np.asarray(before, dtype=float)))
    _, mu, ok = _glm(y[None], np.stack(columns, axis=1)[None], np.zeros((1, y.size)))
    if not ok[0]:
        raise AnalysisInputError("the null model cannot be estimated from these counts")
    residual = y - mu[0]
    block = np.unique(np.asarray(blocks), return_inverse=True)[1]
    order = np.lexsort((np.arange(y.size), block))
    first = np.searchsorted(block[order], block[order])
    slot = np.empty(y.size, dtype=np.int64)
    slot[order] = np.arange(y.size) - first
    if slot.max() >= is_control.size:
        raise AnalysisInputError("a block holds more places than the trial has arms")
    rng = np.random.default_rng([seed, 1])
    deals = rng.permuted(np.broadcast_to(np.arange(is_control.size),
                                         (permutations, block.max() + 1, is_control.size)),
                         axis=2)
    treated = ~is_control[deals[:, block, slot]]
    return _p_value(float((~is_control[arm]) @ residual), treated @ residual)


def crossover_permutation_p(*, counts: np.ndarray, patrolled: np.ndarray, seed: int,
                            permutations: int = PERMUTATIONS) -> float:
    """Two-sided randomisation p-value for a daily crossover (days x places): each day, as
    many places as were patrolled that day are drawn again at random, as
    `crossover_schedule` draws them. Residuals come from the null model, a rate for each
    place, and are centred within each day, so a busy day weighs on no assignment."""
    y = np.asarray(counts, dtype=float)
    on = np.asarray(patrolled, dtype=bool)
    if y.shape != on.shape or y.ndim != 2:
        raise AnalysisInputError("need a count and a patrolled flag for each place and day")
    if y.sum() == 0:
        raise AnalysisInputError("no crime in the window at any place: there is nothing to "
                                 "test")
    residual = y - y.mean(axis=0, keepdims=True)
    residual -= residual.mean(axis=1, keepdims=True)
    taken = on.sum(axis=1)  # each day's number of patrolled places, kept by every draw
    kth = np.unique(np.clip(taken - 1, 0, None))
    rng = np.random.default_rng([seed, 2])
    draws = np.empty(permutations)
    chunk = max(1, 4_000_000 // on.size)  # bounded memory for long trials
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        # A uniform random subset of k places each day: the k smallest of uniform keys
        # (a partition, not a sort or a shuffle per row, which cost ten times more).
        keys = rng.random((size, *on.shape))
        cut = np.take_along_axis(np.partition(keys, kth, axis=2),
                                 np.broadcast_to(np.clip(taken - 1, 0, None)[None, :, None],
                                                 (size, on.shape[0], 1)), axis=2)
        deal = (keys <= cut) & (taken > 0)[None, :, None]
        draws[start:start + size] = np.einsum("bdp,dp->b", deal, residual)
    return _p_value(float((on * residual).sum()), draws)


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
