// The maths of tabs 1 and 2 in the browser, so that a slider drag draws every step without asking the server: a
// class of sixty dragging at once would otherwise need ~500 server steps a second (docs/live_sliders.md). Python
// (models/estimators.py, models/divergences.py) stays the source: every formula here mirrors one there, every
// constant (quadrature nodes, curve grids, budgets) comes from Python through `config`, and
// tests/test_live_math.py checks these numbers against models/ on a grid of parameters in Chromium. The server
// computes and draws the final view when the slider is released.
//
// window.gmlLiveMath = {estimators(config, values), divergences(config, values), formatG(x, digits)}: pure
// functions of numbers, no page access.
(() => {
  const SQRT_2PI = Math.sqrt(2 * Math.PI);

  // --- Tab 1: Monte Carlo gradient estimators (models/estimators.py) ------------------------------------------
  const OBJECTIVES = {
    linear: {value: (z, m) => m * z, derivative: (z, m) => m, gradient: (mu, m) => m},
    square: {value: (z, m) => (m * z) ** 2, derivative: (z, m) => 2 * m * m * z, gradient: (mu, m) => 2 * m * m * mu},
    gaussian: {
      value: (z, m) => Math.exp(-m * z * z),
      derivative: (z, m) => -2 * m * z * Math.exp(-m * z * z),
      gradient: (mu, m) => (-2 * m * mu * Math.exp((-m * mu * mu) / (1 + 2 * m))) / (1 + 2 * m) ** 1.5,
    },
    cosine: {
      value: (z, m) => Math.cos(m * z),
      derivative: (z, m) => -m * Math.sin(m * z),
      gradient: (mu, m) => -m * Math.sin(m * mu) * Math.exp((-m * m) / 2),
    },
  };

  // per_sample_moments at one μ: the same trapezoid rules, nodes and weights as Python's (from config).
  function moments(q, fn, m, mu) {
    const eta = fn.gradient(mu, m);
    const eps = q.normal_nodes, weights = q.normal_weights;
    const f = new Float64Array(eps.length);
    let meanF = 0;
    for (let i = 0; i < eps.length; i++) { f[i] = fn.value(mu + eps[i], m); meanF += f[i] * weights[i]; }
    let varF = 0, pathwise = 0, score = 0, centred = 0, fss = 0, ss = 0;
    for (let i = 0; i < eps.length; i++) {
      const w = weights[i], e = eps[i];
      varF += w * (f[i] - meanF) ** 2;
      pathwise += w * (fn.derivative(mu + e, m) - eta) ** 2;
      score += w * (f[i] * e - eta) ** 2;
      centred += w * ((f[i] - meanF) * e - eta) ** 2;
      fss += w * f[i] * e * e;
      ss += w * e * e;
    }
    const optimalBaseline = fss / ss;
    let optimal = 0;
    for (let i = 0; i < eps.length; i++) optimal += weights[i] * ((f[i] - optimalBaseline) * eps[i] - eta) ** 2;
    let coupled = 0;
    const nodes = q.rayleigh_nodes, rweights = q.rayleigh_weights;
    for (let i = 0; i < nodes.length; i++) {
      const c = (fn.value(mu + nodes[i], m) - fn.value(mu - nodes[i], m)) / SQRT_2PI;
      coupled += c * c * rweights[i];
    }
    return {
      pathwise, score, centred, optimalBaseline, optimal, price: varF + eta * eta, measureValued: coupled - eta * eta,
    };
  }

  // variances_from_moments: the exact variance of each N-sample estimator.
  function variances(mom, n) {
    return {
      "pathwise": mom.pathwise / n,
      "score": mom.score / n,
      "score+baseline": n >= 2 ? mom.centred / n + mom.price / (n * (n - 1)) : mom.score / n,
      "score+optimal baseline": mom.optimal / n,
      "measure-valued": mom.measureValued / n,
    };
  }

  // A seeded stream (mulberry32): the page's own draws, not NumPy's, so empirical markers match the server's
  // in distribution (the tests' tolerance is the standard error), not draw for draw.
  function stream(seed) {
    let a = (seed * 2654435761 + 0x9e3779b9) >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296 + 1 / 8589934592;  // in (0, 1)
    };
  }
  // The page's draws per (seed, rows, purpose), one column of `rows` draws per sample index: growing N appends
  // columns, so every step of a drag (of μ or of N) reuses the same numbers, as common random numbers should.
  const draws = new Map();
  function drawsFor(seed, rows, columns, purpose) {
    const key = `${seed}/${rows}/${purpose}`;
    let source = draws.get(key);
    if (!source) {
      if (draws.size > 8) draws.clear();
      source = {uniform: stream(seed * 4 + purpose), columns: 0, eps: new Float64Array(0), w: new Float64Array(0)};
      draws.set(key, source);
    }
    if (source.columns < columns) {
      const eps = new Float64Array(rows * columns), w = new Float64Array(rows * columns), uniform = source.uniform;
      eps.set(source.eps);
      w.set(source.w);
      for (let i = rows * source.columns; i < rows * columns; i++) {  // Box–Muller for N(0, 1); Rayleigh(1) = √(−2 log U)
        const u = uniform(), v = uniform();
        eps[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        w[i] = Math.sqrt(-2 * Math.log(uniform()));
      }
      Object.assign(source, {eps, w, columns});
    }
    return source;
  }

  // sample_estimates: `rows` estimates per estimator at each sample size (running sums over each row's draws).
  function sampleEstimates(fn, m, mu, sizes, rows, source, optimalBaseline) {
    const columns = sizes[sizes.length - 1];
    const out = {};
    for (const name of ESTIMATOR_NAMES) out[name] = sizes.map(() => new Float64Array(rows));
    const path = new Float64Array(rows), score = new Float64Array(rows), optimal = new Float64Array(rows);
    const mv = new Float64Array(rows), sumF = new Float64Array(rows), sumS = new Float64Array(rows);
    let k = 0;
    for (let i = 0; i < columns; i++) {  // one column of draws at a time: contiguous in memory
      for (let r = 0; r < rows; r++) {
        const e = source.eps[i * rows + r], w = source.w[i * rows + r], fz = fn.value(mu + e, m);
        path[r] += fn.derivative(mu + e, m);
        score[r] += fz * e;
        optimal[r] += (fz - optimalBaseline) * e;
        mv[r] += (fn.value(mu + w, m) - fn.value(mu - w, m)) / SQRT_2PI;
        sumF[r] += fz;
        sumS[r] += e;
      }
      if (i + 1 === sizes[k]) {
        const n = sizes[k];
        for (let r = 0; r < rows; r++) {
          out["pathwise"][k][r] = path[r] / n;
          out["score"][k][r] = score[r] / n;
          out["score+baseline"][k][r] = n >= 2 ? (score[r] - (sumF[r] * sumS[r]) / n) / (n - 1) : score[r] / n;
          out["score+optimal baseline"][k][r] = optimal[r] / n;
          out["measure-valued"][k][r] = mv[r] / n;
        }
        k += 1;
      }
    }
    return out;
  }
  const ESTIMATOR_NAMES = ["pathwise", "score", "score+baseline", "score+optimal baseline", "measure-valued"];

  function mean(values) { let s = 0; for (const v of values) s += v; return s / values.length; }
  function sampleVariance(values) {  // ddof = 1, as NumPy's var(ddof=1)
    const centre = mean(values);
    let s = 0;
    for (const v of values) s += (v - centre) ** 2;
    return s / (values.length - 1);
  }

  // run_experiment: what tab 1 shows for one setting of its controls (the curves along μ only `alongMu`, for the
  // variance-vs-μ plot); null where the page cannot compute it (an input outside its range: the server's
  // validators answer on release).
  function estimators(config, values, alongMu = true) {
    const {f, m, mu, n, repeats, seed} = values;
    const fn = OBJECTIVES[f];
    const ok = fn && [m, mu, n, repeats, seed].every(Number.isFinite) && Number.isInteger(n) && Number.isInteger(repeats)
      && Number.isInteger(seed) && n >= config.n_range[0] && n <= config.n_range[1] && repeats >= config.repeats_range[0]
      && repeats <= config.repeats_range[1] && n * repeats <= config.max_draws && seed >= config.seed_range[0]
      && seed <= config.seed_range[1] && m >= config.m_range[0] && m <= config.m_range[1]
      && mu >= config.mu_range[0] && mu <= config.mu_range[1] && !(f === "gaussian" && !(m > 0));
    if (!ok) return null;
    const q = config.quadrature;
    const sizes = [...config.n_markers.filter((size) => size < n), n];
    const atMu = moments(q, fn, m, mu);
    const bySize = sampleEstimates(fn, m, mu, sizes, repeats, drawsFor(seed, repeats, n, 0), atMu.optimalBaseline);
    const exactByN = {}, exactByMu = {}, empiricalByN = {}, estimates = {};
    const onMuLine = alongMu ? config.mu_line.map((x) => moments(q, fn, m, x)) : [];
    for (const name of ESTIMATOR_NAMES) {
      exactByN[name] = config.n_line.map((size) => variances(atMu, size)[name]);
      exactByMu[name] = onMuLine.map((mom) => variances(mom, n)[name]);
      empiricalByN[name] = bySize[name].map(sampleVariance);
      estimates[name] = bySize[name][sizes.length - 1];
    }
    let empiricalByMu = null;
    if (alongMu && config.mu_markers.length * n * repeats <= config.mu_marker_budget) {
      const source = drawsFor(seed, repeats, n, 1);
      empiricalByMu = {};
      for (const name of ESTIMATOR_NAMES) empiricalByMu[name] = [];
      for (const x of config.mu_markers) {
        const onMarker = sampleEstimates(fn, m, x, [n], repeats, source, moments(q, fn, m, x).optimalBaseline);
        for (const name of ESTIMATOR_NAMES) empiricalByMu[name].push(sampleVariance(onMarker[name][0]));
      }
    }
    return {
      f, m, mu, n, repeats, sizes, estimates, empiricalByN, exactByN, exactByMu, empiricalByMu,
      trueGradient: fn.gradient(mu, m),
      exact: variances(atMu, n),
      means: Object.fromEntries(ESTIMATOR_NAMES.map((name) => [name, mean(estimates[name])])),
    };
  }

  // --- Tab 2: KL and Cauchy–Schwarz divergences (models/divergences.py) ---------------------------------------
  function logNormal(x, mean, sd) { return -0.5 * ((x - mean) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI); }
  function logAddExp(a, b) { return a === -Infinity ? b : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))); }
  function logMixture(x, q) {
    let total = -Infinity;
    for (let k = 0; k < q.means.length; k++) total = logAddExp(total, Math.log(q.weights[k]) + logNormal(x, q.means[k], q.sds[k]));
    return total;
  }
  function klGaussians(mp, sp, mq, sq) { return Math.log(sq / sp) + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - 0.5; }
  function logOverlap(ma, sa, mb, sb) { const v = sa * sa + sb * sb; return (-0.5 * (ma - mb) ** 2) / v - 0.5 * Math.log(2 * Math.PI * v); }
  function csMixture(mp, sp, q) {  // cs_gaussian_mixture: sums of Gaussian overlaps in log space
    let logPQ = -Infinity, logQQ = -Infinity;
    for (let j = 0; j < q.means.length; j++) {
      logPQ = logAddExp(logPQ, Math.log(q.weights[j]) + logOverlap(mp, sp, q.means[j], q.sds[j]));
      for (let k = 0; k < q.means.length; k++) {
        logQQ = logAddExp(logQQ, Math.log(q.weights[j] * q.weights[k]) + logOverlap(q.means[j], q.sds[j], q.means[k], q.sds[k]));
      }
    }
    return -logPQ + 0.5 * logOverlap(mp, sp, mp, sp) + 0.5 * logQQ;
  }
  // kl_on_grid: E_{N(mean, sd²)}[g] by the trapezoid rule in standardised coordinates on np.arange's nodes, its step
  // half the narrowest sd in units of sd; along a curve, Python takes that narrowest over the whole curve (`ratios`).
  function expectation(config, g, mean, sd, ratio) {
    const step = 0.5 * Math.min(1, ratio), half = config.curve_half_width;
    const count = Math.ceil((2 * half + step / 2) / step);
    let total = 0;
    for (let i = 0; i < count; i++) { const t = -half + i * step; total += ((step * Math.exp(-0.5 * t * t)) / SQRT_2PI) * g(mean + sd * t); }
    return total;
  }
  // The smallest sd / (p's sd) and sd / (each component's sd) over a curve's points (each point: sp and q's sds).
  function narrowest(points) {
    const ratios = {p: Infinity, k: points[0].sds.map(() => Infinity)};
    for (const {sp, sds} of points) {
      for (const other of [sp, ...sds]) {
        ratios.p = Math.min(ratios.p, other / sp);
        sds.forEach((s, k) => { ratios.k[k] = Math.min(ratios.k[k], other / s); });
      }
    }
    return ratios;
  }
  function klPair(config, mp, sp, q, ratios) {  // (KL(p‖q), KL(q‖p)) for a mixture q
    const logRatio = (x) => logNormal(x, mp, sp) - logMixture(x, q);
    const pq = expectation(config, logRatio, mp, sp, ratios.p);
    let qp = 0;
    for (let k = 0; k < q.means.length; k++) qp += q.weights[k] * expectation(config, (x) => -logRatio(x), q.means[k], q.sds[k], ratios.k[k]);
    return [pq, qp];
  }
  function divergenceValues(config, mp, sp, q, ratios = narrowest([{sp, sds: q.sds}])) {  // closed forms; the trapezoid for a mixture's KLs
    if (q.means.length === 1) {
      return {
        "KL(p||q)": klGaussians(mp, sp, q.means[0], q.sds[0]),
        "KL(q||p)": klGaussians(q.means[0], q.sds[0], mp, sp),
        "D_CS(p,q)": csMixture(mp, sp, q),
      };
    }
    const [pq, qp] = klPair(config, mp, sp, q, ratios);
    return {"KL(p||q)": pq, "KL(q||p)": qp, "D_CS(p,q)": csMixture(mp, sp, q)};
  }
  // The table's check column. Python integrates with scipy's quad; the page uses the trapezoid rule over ±10 scales
  // with a step fine for the narrowest density, and the difference from the rule at twice the step as its error.
  function numerical(config, mp, sp, q) {
    const narrowest = Math.min(sp, ...q.sds);
    const rule = (g, mean, sd, factor) => {
      const step = (factor * 0.05 * Math.min(1, narrowest / sd)), half = config.quad_half_width;
      let total = 0;
      for (let t = -half; t <= half + step / 2; t += step) total += step * g(mean + sd * t);
      return sd * total;
    };
    const both = (g, mean, sd) => { const fine = rule(g, mean, sd, 1); return [fine, Math.abs(fine - rule(g, mean, sd, 2))]; };
    const logP = (x) => logNormal(x, mp, sp), logQ = (x) => logMixture(x, q);
    const [klPQ, errPQ] = both((x) => Math.exp(logP(x)) * (logP(x) - logQ(x)), mp, sp);
    let klQP = 0, errQP = 0;
    for (let k = 0; k < q.means.length; k++) {
      const [value, error] = both((x) => Math.exp(logNormal(x, q.means[k], q.sds[k])) * (logQ(x) - logP(x)), q.means[k], q.sds[k]);
      klQP += q.weights[k] * value;
      errQP += q.weights[k] * error;
    }
    const logOverlapNumerical = (ma, sa, mb, sb) => {  // around the product's mass, shifted by its value there
      const precision = sa ** -2 + sb ** -2, centre = (ma * sa ** -2 + mb * sb ** -2) / precision;
      const shift = logNormal(centre, ma, sa) + logNormal(centre, mb, sb);
      const [value, error] = both((x) => Math.exp(logNormal(x, ma, sa) + logNormal(x, mb, sb) - shift), centre, precision ** -0.5);
      return [shift + Math.log(value), error / value];
    };
    let logPQ = -Infinity, logQQ = -Infinity, errCS = 0;
    for (let j = 0; j < q.means.length; j++) {
      const [pq, e1] = logOverlapNumerical(mp, sp, q.means[j], q.sds[j]);
      logPQ = logAddExp(logPQ, Math.log(q.weights[j]) + pq);
      errCS += e1;
      for (let k = 0; k < q.means.length; k++) {
        const [qq, e2] = logOverlapNumerical(q.means[j], q.sds[j], q.means[k], q.sds[k]);
        logQQ = logAddExp(logQQ, Math.log(q.weights[j] * q.weights[k]) + qq);
        errCS += 0.5 * e2;
      }
    }
    const [pp, e3] = logOverlapNumerical(mp, sp, mp, sp);
    return {
      "KL(p||q)": {value: klPQ, abs_error: errPQ},
      "KL(q||p)": {value: klQP, abs_error: errQP},
      "D_CS(p,q)": {value: -logPQ + 0.5 * pp + 0.5 * logQQ, abs_error: errCS + 0.5 * e3},
    };
  }
  function densityGrid(config, centres, widths) {  // density_grid: coarse over every density, fine around each
    const span = config.density_span;
    const low = Math.min(...centres.map((c, i) => c - span * widths[i])), high = Math.max(...centres.map((c, i) => c + span * widths[i]));
    const linspace = (a, b, count) => Array.from({length: count}, (_, i) => a + ((b - a) * i) / (count - 1));
    const points = [...linspace(low, high, 200), ...centres.flatMap((c, i) => linspace(c - span * widths[i], c + span * widths[i], 80))];
    return points.sort((a, b) => a - b);
  }

  // compare: everything tab 2 shows for p = N(mu1, sigma1²) against q (a Gaussian, or a two-component mixture).
  function divergences(config, values) {
    const {mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight} = values;
    const inRange = (v, [low, high]) => Number.isFinite(v) && v >= low && v <= high;
    if (![mu1, mu2].every((v) => inRange(v, config.mu_range)) || ![sigma1, sigma2].every((v) => inRange(v, config.sigma_range))) return null;
    if (mixture && !([mu3].every((v) => inRange(v, config.mu_range)) && inRange(sigma3, config.sigma_range) && inRange(weight, config.weight_range))) return null;
    const q = mixture ? {means: [mu2, mu3], sds: [sigma2, sigma3], weights: [1 - weight, weight]} : {means: [mu2], sds: [sigma2], weights: [1]};
    const x = densityGrid(config, [mu1, ...q.means], [sigma1, ...q.sds]);
    const now = divergenceValues(config, mu1, sigma1, q);
    const closed = mixture ? {"D_CS(p,q)": now["D_CS(p,q)"]} : {...now};
    const shiftCurves = {}, ratioCurves = {};
    const alongShift = config.shifts.map((shift) => divergenceValues(config, q.means[0] + shift, sigma1, q));
    const swept = config.sigma2_sweep.map((sd) => ({...q, sds: [sd, ...q.sds.slice(1)]}));
    const sweepRatios = narrowest(swept.map((component) => ({sp: sigma1, sds: component.sds})));
    const alongRatio = swept.map((component) => divergenceValues(config, mu1, sigma1, component, sweepRatios));
    for (const name of config.quantities) {
      shiftCurves[name] = alongShift.map((v) => v[name]);
      ratioCurves[name] = alongRatio.map((v) => v[name]);
    }
    return {
      x,
      p: x.map((v) => Math.exp(logNormal(v, mu1, sigma1))),
      q: x.map((v) => Math.exp(logMixture(v, q))),
      closed,
      numerical: numerical(config, mu1, sigma1, q),
      now,
      shifts: config.shifts,
      shiftCurves,
      sigmaRatios: config.sigma2_sweep.map((sd) => sd / sigma1),
      ratioCurves,
    };
  }

  // Python's format(x, ".{digits}g"): fixed or scientific by the same rule, trailing zeros dropped, two-digit exponent.
  function formatG(x, digits = 6) {
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    const [mantissa, exponentText] = x.toExponential(digits - 1).split("e");
    const exponent = Number(exponentText);
    if (exponent < -4 || exponent >= digits) {
      const shortened = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
      return `${shortened}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    }
    const fixed = x.toFixed(Math.max(0, digits - 1 - exponent));
    return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  }

  window.gmlLiveMath = {estimators, divergences, formatG, ESTIMATOR_NAMES};
})();
