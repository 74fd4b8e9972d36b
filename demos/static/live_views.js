// A drag step of tabs 1 and 2 drawn by the page itself from window.gmlLiveMath's numbers, in the page's language,
// as the server draws it: the charts as demos/charts.py draws them (`lineChart` mirrors `line_chart`), and the
// server's own text templates filled (demos.bidi.fill). tests/test_live_math.py compares these drawings with the
// server's.
//
// window.gmlLiveViews[tab](config, values) → {html, cells, paragraphs, values} for demos/static/live_drag.js, or
// null when the page cannot draw the step itself (the server's step is then asked).
(() => {
  const math = () => window.gmlLiveMath;
  const language = () => (document.body.classList.contains("gml-fa") ? "fa" : "en");

  // demos.bidi.fill: a slot inside a value takes a number (held together in a right-to-left language), an HTML
  // comment slot takes a part of a sentence.
  function fill(template, values, rtl) {
    for (const [name, value] of Object.entries(values)) {
      const number = rtl ? value.replace(/ /g, "\u00a0").replace(/([\-\u2013/])/g, "$1\u2060") : value;
      template = template.split(`\u0000${name}\u0000`).join(number).split(`<!--${name}-->`).join(value);
    }
    return template;
  }
  const thousands = (n) => n.toLocaleString("en-US");  // Python's f"{n:,}"

  // --- Charts: demos/charts.py ----------------------------------------------------------------------------------
  const python = (x) => (Number.isInteger(x) ? `${x}.0` : String(x));  // f"{x}" of a Python float
  function fixed1(x) {  // Python's f"{x:.1f}": an exact tie (x ending in .25 or .75) goes to the even digit
    const tenths = x * 10, quarters = x * 4;  // (x·4 is exact: a power of two)
    if (Number.isInteger(quarters) && quarters % 2 !== 0) {
      const even = Math.floor(tenths) % 2 === 0 ? Math.floor(tenths) : Math.floor(tenths) + 1;
      return (even / 10).toFixed(1);
    }
    return x.toFixed(1);
  }

  function niceTicks(low, high, count = 5) {
    const raw = (high - low) / count, magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9));
    const first = Math.ceil(low / step - 1e-9) * step;
    return Array.from({length: Math.trunc((high - first) / step + 1e-9) + 1}, (_, i) => first + i * step);
  }
  function logTicks(low, high) {
    const first = Math.floor(Math.log10(low)), last = Math.ceil(Math.log10(high));
    const mantissas = last - first <= 3 ? [1, 2, 5] : [1], every = Math.max(1, Math.ceil((last - first) / 6));
    const ticks = [];
    for (let e = first; e <= last; e++) {
      if (((e % every) + every) % every !== 0) continue;
      for (const m of mantissas) { const t = m * 10.0 ** e; if (low * (1 - 1e-9) <= t && t <= high * (1 + 1e-9)) ticks.push(t); }
    }
    return ticks;
  }
  function logRange(...arrays) {
    const values = arrays.flatMap((a) => Array.from(a)).filter((v) => Number.isFinite(v) && v > 0);
    if (!values.length) return [0.1, 10.0];
    const low = Math.log10(values.reduce((a, b) => Math.min(a, b))), high = Math.log10(values.reduce((a, b) => Math.max(a, b)));
    const pad = high > low ? 0.05 * (high - low) : 1.0;
    return [10 ** (low - pad), 10 ** (high + pad)];
  }
  function scale(values, low, high, start, end, log = false) {
    if (log) { values = values.map((v) => (v > 0 ? Math.log10(v) : NaN)); low = Math.log10(low); high = Math.log10(high); }
    return values.map((v) => start + ((v - low) / (high - low)) * (end - start));
  }
  function visibleRuns(px, py, top) {
    const runs = [];
    let current = [];
    const crossing = (i, j) => { const t = (top - py[i]) / (py[j] - py[i]); return [px[i] + t * (px[j] - px[i]), top]; };
    for (let i = 0; i < px.length; i++) {
      if (!(Number.isFinite(px[i]) && Number.isFinite(py[i]))) {
        if (current.length) { runs.push(current); current = []; }
      } else if (py[i] >= top) {
        if (!current.length && i > 0 && Number.isFinite(py[i - 1]) && py[i - 1] < top) current.push(crossing(i - 1, i));
        current.push([px[i], py[i]]);
      } else if (current.length) {
        current.push(crossing(i - 1, i));
        runs.push(current);
        current = [];
      }
    }
    if (current.length) runs.push(current);
    return runs;
  }
  const points = (xy) => xy.map(([x, y]) => `${fixed1(x)},${fixed1(y)}`).join(" ");

  function lineChart(geometry, series, xRange, yRange, labels, {logX = false, logY = false, y2 = null, markers = [], markedX = null} = {}) {
    const g = math().formatG, box = y2 ? geometry.right_axis_box : geometry.box;
    const {left, right, top, bottom} = box, width = geometry.width, height = geometry.height;
    const xTicks = logX ? logTicks(...xRange) : niceTicks(...xRange);
    const parts = [
      `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${labels.aria}"${labels.direction} `
      + 'style="width:100%;height:auto;max-height:340px;display:block;overflow:visible" font-size="11">',
    ];
    scale(xTicks, ...xRange, left, right, logX).forEach((at, i) => {
      parts.push(`<line x1="${fixed1(at)}" x2="${fixed1(at)}" y1="${top}" y2="${bottom}" stroke="currentColor" opacity="0.12"/>`);
      parts.push(`<text x="${fixed1(at)}" y="${bottom + 14}" text-anchor="middle" fill="currentColor">${g(xTicks[i])}</text>`);
    });
    const yTicks = logY ? logTicks(...yRange) : niceTicks(...yRange);
    scale(yTicks, ...yRange, bottom, top, logY).forEach((at, i) => {
      parts.push(`<line x1="${left}" x2="${right}" y1="${fixed1(at)}" y2="${fixed1(at)}" stroke="currentColor" opacity="0.12"/>`);
      parts.push(`<text x="${left - 4}" y="${fixed1(at + 4)}" text-anchor="end" fill="currentColor">${g(yTicks[i])}</text>`);
    });
    if (y2) {
      const y2Ticks = niceTicks(...y2, 4);
      scale(y2Ticks, ...y2, bottom, top).forEach((at, i) => {
        parts.push(`<text x="${right + 4}" y="${fixed1(at + 4)}" fill="currentColor">${g(y2Ticks[i], 3)}</text>`);
      });
      parts.push(`<text transform="translate(${width - 4},${python((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" `
        + `fill="currentColor">${labels.y2}</text>`);
    }
    parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" `
      + 'stroke="currentColor" opacity="0.35"/>'
      + `<text x="${python((left + right) / 2)}" y="${height - 4}" text-anchor="middle" fill="currentColor">${labels.x}</text>`
      + `<text transform="translate(11,${python((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" `
      + `fill="currentColor">${labels.y}</text>`);
    for (const line of series) {
      const ys = y2 && line.right ? y2 : yRange;
      const px = scale(Array.from(line.x), ...xRange, left, right, logX), py = scale(Array.from(line.y), ...ys, bottom, top, logY);
      if (line.fill) {
        const outline = px.map((x, i) => [x, Math.max(py[i], top)]);
        parts.push(`<polygon points="${points(outline)} ${points([[px[px.length - 1], bottom], [px[0], bottom]])}" `
          + `fill="${line.color}" opacity="0.3"/>`);
      }
      for (const run of visibleRuns(px, py, top)) {
        parts.push(`<polyline data-name="${line.name}" points="${points(run)}" fill="none" `
          + `stroke="${line.color}" stroke-width="${line.width || 2}"/>`);
      }
    }
    if (markedX !== null) {
      const at = fixed1(scale([markedX], ...xRange, left, right, logX)[0]);
      parts.push(`<line x1="${at}" x2="${at}" y1="${top}" y2="${bottom}" stroke="gray" stroke-dasharray="2,3"/>`);
    }
    for (const marker of markers) {
      const cx = scale([marker.x], ...xRange, left, right, logX)[0], cy = scale([marker.y], ...yRange, bottom, top, logY)[0];
      if (!(Number.isFinite(cx) && Number.isFinite(cy))) continue;
      parts.push(`<circle cx="${fixed1(cx)}" cy="${fixed1(cy)}" r="4.5" fill="${marker.color}">`
        + `<title>${marker.name} = ${g(marker.y)}</title></circle>`);
    }
    parts.push("</svg>");
    return parts.join("");
  }
  const SYMBOLS = {line: "━━", dot: "●", area: "■"};
  function chartHtml(title, legend, svg, rtl) {
    const keys = legend.map(([name, color, symbol]) => (
      `<span style="white-space:nowrap;margin-right:0.6em"><span style="color:${color}">${SYMBOLS[symbol || "line"]}</span> ${name}</span>`
    )).join(" ");
    return `<div${rtl ? ' dir="rtl"' : ""} style="font-size:0.9em;margin:0 0 2px 0"><b style="margin-right:0.6em">${title}</b> ${keys}</div>${svg}`;
  }

  // --- Tab 1: demos.estimators' variance_chart ------------------------------------------------------------------
  function varianceChart(config, texts, result, plot) {
    const names = math().ESTIMATOR_NAMES, g = math().formatG, byN = plot === "by_n";
    const xLine = byN ? config.n_line : config.mu_line;
    const exact = byN ? result.exactByN : result.exactByMu;
    const xMarkers = byN ? result.sizes : config.mu_markers;
    const empirical = byN ? result.empiricalByN : result.empiricalByMu;
    const series = names.map((name) => ({name, x: xLine, y: exact[name], color: config.colors[name]}));
    const markers = empirical ? names.flatMap((name) => Array.from(xMarkers, (x, i) => (
      {name: texts.names[name], x, y: empirical[name][i], color: config.colors[name]}
    ))) : [];
    const yRange = logRange(...names.map((name) => exact[name]), ...(empirical ? names.map((name) => empirical[name]) : []));
    const svg = lineChart(config.svg, series, [xLine[0], xLine[xLine.length - 1]], yRange, texts.labels[plot], {
      logX: byN, logY: true, markers, markedX: byN ? result.n : result.mu,
    });
    const legend = names.map((name) => [Array.from(exact[name]).some((v) => v !== 0) ? texts.names[name] : texts.off_log_axis[name], config.colors[name]]);
    if (empirical) legend.push([texts.empirical, config.empirical_color, "dot"]);
    const title = byN
      ? fill(texts.titles.by_n, {mu: g(result.mu), n: thousands(result.n)}, texts.rtl)
      : fill(texts.titles[empirical ? "by_mu" : "by_mu_exact_only"], {n: thousands(result.n)}, texts.rtl);
    return chartHtml(title, legend, svg, texts.rtl);
  }

  function estimators(config, values) {
    const n = values.moved === "log_n" ? Math.round(10 ** values.log_n) : values.n;
    const plot = values.moved === "log_n" ? "by_mu" : "by_n";  // the chart the moved slider drives
    const result = math().estimators(config, {...values, n}, plot === "by_mu");
    if (!result) return null;
    const texts = config.texts[language()], g = math().formatG;
    const cells = math().ESTIMATOR_NAMES.map((name) => {
      const sizes = result.empiricalByN[name];
      return [result.means[name], result.trueGradient, sizes[sizes.length - 1], result.exact[name]].map((v) => g(v));
    });
    return {
      html: {[`estimators-${plot}`]: varianceChart(config, texts, result, plot)},
      cells: {"estimators-table": cells},
      values: {"estimators-n": n},
    };
  }

  // --- Tab 2: demos.divergences' density_view, curve_view, table_html -------------------------------------------
  const maximum = (values) => values.reduce((a, b) => Math.max(a, b), -Infinity);

  function densityView(config, texts, result) {
    const c = config.colors, overlap = result.p.map((p, i) => p * result.q[i]);
    const series = [
      {name: "p", x: result.x, y: result.p, color: c.p},
      {name: "q", x: result.x, y: result.q, color: c.q},
      {name: "p·q", x: result.x, y: overlap, color: c.overlap, right: true, fill: true, width: 1},
    ];
    const top = 1.05 * Math.max(maximum(result.p), maximum(result.q));
    const overlapTop = 1.05 * maximum(overlap) || 1.0;
    const chart = texts.charts.a;
    const svg = lineChart(config.svg, series, [result.x[0], result.x[result.x.length - 1]], [0.0, top], chart.labels, {y2: [0.0, overlapTop]});
    return chartHtml(chart.title, chart.legend, svg, texts.rtl);
  }
  function curveView(config, texts, chart, x, curves, xNow, now, logX) {
    const series = config.quantities.map((name) => ({name, x, y: curves[name], color: config.colors[name]}));
    const markers = config.quantities.map((name) => ({name, x: xNow, y: now[name], color: config.colors[name]}));
    const yTop = Math.max(2.0, 2.5 * maximum(Object.values(now)));
    const svg = lineChart(config.svg, series, [x[0], x[x.length - 1]], [0.0, yTop], chart.labels, {logX, markers});
    return chartHtml(chart.title, chart.legend, svg, texts.rtl);
  }
  // The table's cells (quantity, closed form, numerical, error) and the D_CS / min KL line, as table_html writes them.
  function divergenceTable(config, texts, result, mixture) {
    const g = math().formatG;
    const cells = config.quantities.map((name) => [
      name in result.closed ? g(result.closed[name]) : "—", g(result.numerical[name].value), g(result.numerical[name].abs_error, 2),
    ]);
    const values = Object.fromEntries(config.quantities.map((name) => [name, name in result.closed ? result.closed[name] : result.numerical[name].value]));
    const smallest = Math.min(values["KL(p||q)"], values["KL(q||p)"]);
    const ratio = smallest > 1e-12 ? values["D_CS(p,q)"] / smallest : NaN, t = texts.ratio, rtl = texts.rtl;
    let line;
    if (Number.isNaN(ratio)) line = t.undefined;
    else {
      const shown = {ratio, cs: values["D_CS(p,q)"], kl_pq: values["KL(p||q)"], kl_qp: values["KL(q||p)"]};
      const numbers = fill(t.numbers, Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, g(v)])), rtl);
      line = mixture ? fill(t.mixture, {numbers, verdict: ratio > 1 ? t.verdict_fails : t.verdict_holds}, rtl) : fill(t.gaussians, {numbers}, rtl);
    }
    return {cells, line};
  }

  function divergences(config, values) {
    const controls = {...config.defaults, ...values};
    const result = math().divergences(config, controls);
    if (!result) return null;
    const texts = config.texts[language()];
    const table = divergenceTable(config, texts, result, controls.mixture);
    return {
      html: {
        "divergences-chart_a": densityView(config, texts, result),
        "divergences-chart_b": curveView(config, texts, texts.charts.b, result.shifts, result.shiftCurves, controls.mu1 - controls.mu2, result.now, false),
        "divergences-chart_c": curveView(config, texts, texts.charts.c, result.sigmaRatios, result.ratioCurves, controls.sigma2 / controls.sigma1, result.now, true),
      },
      cells: {"divergences-table": table.cells},
      paragraphs: {"divergences-table": table.line},
    };
  }

  window.gmlLiveViews = {estimators, divergences, fill};
})();
