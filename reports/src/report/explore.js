// The threshold explorer of verity's report (reports/src/report/explore.rs writes the
// data). Every number is read from the data block: counts per group at each threshold
// of the curve grid and their intervals. The formatting below mirrors reports/src/format.rs
// (percent, count, people_number, threshold) digit for digit, so a figure shown here at
// a threshold is the report's at that threshold.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const app = document.getElementById("app");
  const UNDEFINED = "undefined (no trials)";

  // ---- formatting, as reports/src/format.rs ----
  // Rust's `{:.d}`: the exact decimal value rounded to d decimals, ties to even.
  // toFixed rounds the exact value too, but ties away from zero; an exact tie shows
  // as a 5 followed only by zeros in the 100-decimal expansion.
  function fixed(x, d) {
    const s = x.toFixed(d);
    if (!(Math.abs(x) < 1e21)) return s;
    const long = x.toFixed(100);
    const dot = long.indexOf(".");
    const tail = long.slice(dot + 1 + d);
    if (/^50*$/.test(tail)) {
      const kept = d === 0 ? long.slice(0, dot) : long.slice(0, dot + 1 + d);
      const last = kept.charCodeAt(kept.length - 1) - 48;
      if (last % 2 === 0) return kept;
    }
    return s;
  }
  function trim(x, d) {
    const s = fixed(x, d);
    return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }
  function count(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function percent(p) {
    const pct = p * 100;
    if (pct <= 0) return "0%";
    if (p >= 1) return "100%";
    if (pct >= 1) {
      let d = 1;
      while (d < 6 && parseFloat(fixed(pct, d)) >= 100) d += 1;
      return fixed(pct, d) + "%";
    }
    const magnitude = Math.floor(Math.log10(pct));
    const d = Math.min(20, Math.max(0, 1 - magnitude));
    return fixed(pct, d) + "%";
  }
  function peopleNumber(x) {
    if (x < 10) return trim(x, 1);
    const magnitude = Math.floor(Math.log10(x));
    const unit = Math.pow(10, magnitude - 2);
    const rounded = Math.round(Math.round(x / unit) * unit);
    if (rounded >= 1e18) return rounded.toExponential(2);
    return count(rounded);
  }
  function thresholdText(t) {
    const short = String(t);
    return short.length <= 8 ? short : fixed(t, 6);
  }
  function rateCell(k, n, lo, hi) {
    if (n === 0) return UNDEFINED;
    const counts = count(k) + "/" + count(n);
    const v = k / n;
    if (lo === null || hi === null) return percent(v) + " (" + counts + ")";
    return percent(v) + " (" + counts + "; " + percent(lo) + "\u2013" + percent(hi) + ")";
  }
  function oneIn(k, n, lo, hi) {
    if (n === 0) return UNDEFINED;
    if (k === 0) return "none observed";
    let s = "1 in " + peopleNumber(1 / (k / n));
    if (lo !== null && hi !== null) {
      const high = hi > 0 ? "1 in " + peopleNumber(1 / hi) : "none";
      const low = lo > 0 ? "1 in " + peopleNumber(1 / lo) : "none";
      s += " (" + trim(data.confidence * 100, 4) + "% CI " + high + " to " + low + ")";
    }
    return s;
  }
  function expected(faces, k, n, lo, hi) {
    if (n === 0) return UNDEFINED;
    const about = k === 0 ? "0" : "about " + peopleNumber(faces * (k / n));
    if (lo === null || hi === null) return about;
    return about + " (" + peopleNumber(faces * lo) + " to " + peopleNumber(faces * hi) + ")";
  }
  function sameThreshold(a, b) {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1);
  }

  // ---- state from the address ----
  function parseHash() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ""));
    return { threshold: q.get("threshold"), grouping: q.get("grouping"), view: q.get("view"), faces: q.get("faces") };
  }
  const state = { view: data.default.view, grouping: data.default.grouping, index: 0, faces: data.faces, messages: [] };

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function nearestIndex(ts, t) {
    let best = 0;
    for (let i = 1; i < ts.length; i += 1) if (Math.abs(ts[i] - t) < Math.abs(ts[best] - t)) best = i;
    return best;
  }
  function operatingIndex(view) {
    return nearestIndex(view.thresholds, view.operating.threshold);
  }

  function applyHash() {
    const h = parseHash();
    state.messages = [];
    if (h.view !== null) {
      const i = Number(h.view);
      if (Number.isInteger(i) && i >= 0 && i < data.views.length) state.view = i;
      else state.messages.push("There is no view `" + h.view + "`: the views are numbered 0 to " + (data.views.length - 1) + ". Showing " + title(data.views[state.view]) + ".");
    }
    const view = data.views[state.view];
    if (h.grouping !== null) {
      const g = h.grouping.replace(/,/g, "\u00d7");
      if (view.groupings[g]) state.grouping = g;
      else state.messages.push("Grouping `" + h.grouping + "` is not in the results (groupings: " + Object.keys(view.groupings).join(", ") + "). Showing " + state.grouping + ".");
    }
    if (!view.groupings[state.grouping]) state.grouping = Object.keys(view.groupings)[0];
    state.index = operatingIndex(view);
    if (h.threshold !== null) {
      const t = Number(h.threshold);
      const ts = view.thresholds;
      if (h.threshold.trim() === "" || !Number.isFinite(t)) {
        state.messages.push("Threshold `" + h.threshold + "` is not a number. Showing the operating threshold " + view.operating.label + ".");
      } else if (t < ts[0] && !sameThreshold(t, ts[0]) || t > ts[ts.length - 1] && !sameThreshold(t, ts[ts.length - 1])) {
        state.messages.push("Threshold " + h.threshold + " is outside the range analysed for " + title(view) + ": " + thresholdText(ts[0]) + " to " + thresholdText(ts[ts.length - 1]) + ". Showing the operating threshold " + view.operating.label + ".");
      } else {
        state.index = nearestIndex(ts, t);
        if (!sameThreshold(ts[state.index], t)) {
          state.messages.push("Counts were kept at " + ts.length + " thresholds; " + h.threshold + " is not one of them, so the nearest, " + thresholdText(ts[state.index]) + ", is shown.");
        }
      }
    }
    if (h.faces !== null) {
      const f = Number(h.faces);
      if (Number.isInteger(f) && f > 0) state.faces = f;
      else state.messages.push("Faces seen `" + h.faces + "` is not a positive whole number. Showing " + count(state.faces) + ".");
    }
  }
  function writeHash() {
    const view = data.views[state.view];
    const h = "#threshold=" + view.thresholds[state.index] + "&grouping=" + encodeURIComponent(state.grouping) + "&view=" + state.view + "&faces=" + state.faces;
    history.replaceState(null, "", h);
  }
  function title(view) {
    return view.vendor + ", " + view.protocol;
  }

  // ---- the page ----
  const controls = el("div", { class: "controls" });
  const viewSelect = el("select", { id: "view" });
  data.views.forEach((v, i) => viewSelect.appendChild(el("option", { value: String(i) }, title(v))));
  const groupingSelect = el("select", { id: "grouping" });
  const faces = el("input", { id: "faces", type: "number", min: "1", step: "1" });
  const l1 = el("label", {}, "Vendor and protocol ");
  l1.appendChild(viewSelect);
  const l2 = el("label", {}, "Grouping ");
  l2.appendChild(groupingSelect);
  const l3 = el("label", {}, "Faces seen ");
  l3.appendChild(faces);
  controls.append(l1, l2, l3);
  const sliderRow = el("div", { class: "slider" });
  const slider = el("input", { id: "slider", type: "range", min: "0", step: "1" });
  const marks = el("datalist", { id: "evaluated" });
  slider.setAttribute("list", "evaluated");
  const shown = el("output", { id: "threshold" });
  const prev = el("button", { id: "previous", type: "button" }, "\u25c0 evaluated");
  const next = el("button", { id: "next", type: "button" }, "evaluated \u25b6");
  const op = el("button", { id: "operating", type: "button" }, "operating threshold");
  const l4 = el("label", {}, "Threshold ");
  l4.appendChild(slider);
  sliderRow.append(l4, shown, prev, next, op, marks);
  const message = el("div", { id: "message", class: "message", role: "alert" });
  const context = el("p", { id: "context" });
  const table = el("table", { id: "rates" });
  const note = el("p", { id: "note", class: "note" });
  const plots = el("div", { class: "plots" });
  app.append(controls, sliderRow, message, context, table, note, plots);

  function evaluatedIndices(view) {
    const out = [];
    view.thresholds.forEach((t, i) => {
      if (view.verdicts.some((v) => sameThreshold(v.threshold, t))) out.push(i);
    });
    return out;
  }
  function verdictAt(view, t, grouping) {
    const at = view.verdicts.filter((v) => v.grouping === grouping && sameThreshold(v.threshold, t));
    return at.find((v) => v.point === "grid") || at[0] || null;
  }

  function render() {
    const view = data.views[state.view];
    const ts = view.thresholds;
    const t = ts[state.index];
    viewSelect.value = String(state.view);
    groupingSelect.replaceChildren(...Object.keys(view.groupings).map((g) => el("option", { value: g }, g)));
    groupingSelect.value = state.grouping;
    faces.value = String(state.faces);
    slider.max = String(ts.length - 1);
    slider.value = String(state.index);
    marks.replaceChildren(...evaluatedIndices(view).map((i) => el("option", { value: String(i) })));
    shown.textContent = thresholdText(t) + (sameThreshold(t, view.operating.threshold) ? " (operating)" : "");
    message.textContent = state.messages.join(" ");
    message.hidden = state.messages.length === 0;
    const verdict = state.grouping === "all" ? null : verdictAt(view, t, state.grouping);
    const seen = view.one_to_n ? "faces of people not on the watchlist" : "comparisons of two different people";
    context.textContent = title(view) + ", " + data.benchmark + ". Threshold " + thresholdText(t) + " (operating threshold " + view.operating.label + "). Rates as percentage (errors/trials; two-sided " + trim(data.confidence * 100, 4) + "% " + data.interval + " interval); expected " + (view.one_to_n ? "false alerts" : "false matches") + " among " + count(state.faces) + " " + seen + ".";
    const head = el("thead");
    const hr = el("tr");
    [
      "Group",
      view.tp_name,
      view.fp_name,
      "1 in X",
      "Expected " + (view.one_to_n ? "false alerts" : "false matches") + " in " + count(state.faces),
      view.fp_name + " verdict",
      view.fn_name + " verdict",
    ].forEach((h) => hr.appendChild(el("th", {}, h)));
    head.appendChild(hr);
    const body = el("tbody");
    const rows = (view.groupings.all || []).concat(state.grouping === "all" ? [] : view.groupings[state.grouping]);
    const i = state.index;
    for (const g of rows) {
      const tr = el("tr", { "data-group": g.group, "data-grouping": g === (view.groupings.all || [])[0] ? "all" : state.grouping });
      const fpLo = g.fp_interval[2 * i], fpHi = g.fp_interval[2 * i + 1];
      const tpLo = g.tp_interval[2 * i], tpHi = g.tp_interval[2 * i + 1];
      const vf = verdict && verdict.fp && verdict.fp[g.group];
      const vn = verdict && verdict.fn && verdict.fn[g.group];
      const untested = state.grouping === "all" || g.group === "all" ? "" : "not tested at this threshold";
      const cells = [
        ["group", g.group],
        ["tp num" + (vn && vn.significant ? " significant" : ""), rateCell(g.tp[i], g.mated, tpLo, tpHi) + (vn && vn.significant ? " \u25b2" : "")],
        ["fp num" + (vf && vf.significant ? " significant" : ""), rateCell(g.fp[i], g.non_mated, fpLo, fpHi) + (vf && vf.significant ? " \u25b2" : "")],
        ["one-in num", oneIn(g.fp[i], g.non_mated, fpLo, fpHi)],
        ["expected num", expected(state.faces, g.fp[i], g.non_mated, fpLo, fpHi)],
        ["verdict-fp" + (vf ? "" : " muted"), vf ? vf.text : g.group === "all" ? "" : untested],
        ["verdict-fn" + (vn ? "" : " muted"), vn ? vn.text : g.group === "all" ? "" : untested],
      ];
      for (const [cls, text] of cells) tr.appendChild(el("td", { class: cls }, text));
      body.appendChild(tr);
    }
    table.replaceChildren(head, body);
    const evaluated = evaluatedIndices(view).map((k) => thresholdText(ts[k]));
    note.textContent = (verdict
      ? "\u25b2 marks a statistically significant difference (Fisher's exact test, Holm-adjusted, omnibus test rejecting, alpha = " + data.alpha + "). "
      : "Tests between groups were run only at the thresholds the analysis evaluated (" + evaluated.join(", ") + "); they are not interpolated between them. ") +
      "The intervals are for each group on its own; report.html has the tests, the bootstrap intervals and every evaluated threshold.";
    drawPlots(view, rows);
  }

  // ---- plots (SVG) ----
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#1b1b1b", "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f"];
  const DASHES = ["", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 4", "3 6"];
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // Acklam's rational approximation of the standard normal quantile (relative error
  // below 1.2e-9), for the probit axes of the DET.
  function probit(p) {
    const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
    const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
    const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    const lowP = 0.02425;
    if (p < lowP) {
      const q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lowP) return -probit(1 - p);
    const q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  function panel(titleText, xLabel, yLabel, xs, ys, series, marker, ticksX, ticksY, vertical) {
    const W = 460, H = 320, L = 62, R = 12, T = 28, B = 44;
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": titleText });
    const sx = (x) => L + (x - xs[0]) / (xs[1] - xs[0]) * (W - L - R);
    const sy = (y) => H - B - (y - ys[0]) / (ys[1] - ys[0]) * (H - T - B);
    svg.appendChild(svgEl("text", { x: L, y: 16, class: "title" }, titleText));
    svg.appendChild(svgEl("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }));
    for (const [v, label] of ticksX) {
      svg.appendChild(svgEl("line", { x1: sx(v), x2: sx(v), y1: T, y2: H - B, class: "grid" }));
      svg.appendChild(svgEl("text", { x: sx(v), y: H - B + 14, class: "tick", "text-anchor": "middle" }, label));
    }
    for (const [v, label] of ticksY) {
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: "grid" }));
      svg.appendChild(svgEl("text", { x: L - 4, y: sy(v) + 4, class: "tick", "text-anchor": "end" }, label));
    }
    svg.appendChild(svgEl("text", { x: (L + W - R) / 2, y: H - 8, class: "axis", "text-anchor": "middle" }, xLabel));
    svg.appendChild(svgEl("text", { x: 14, y: (T + H - B) / 2, class: "axis", "text-anchor": "middle", transform: "rotate(-90 14 " + (T + H - B) / 2 + ")" }, yLabel));
    if (vertical !== null) svg.appendChild(svgEl("line", { x1: sx(vertical), x2: sx(vertical), y1: T, y2: H - B, class: "chosen" }));
    const inside = (x, y) => x >= xs[0] && x <= xs[1] && y >= ys[0] && y <= ys[1];
    series.forEach((s, k) => {
      let d = "", pen = false;
      for (const [x, y] of s.points) {
        if (x === null || y === null || !inside(x, y)) { pen = false; continue; }
        d += (pen ? "L" : "M") + sx(x).toFixed(1) + " " + sy(y).toFixed(1);
        pen = true;
      }
      svg.appendChild(svgEl("path", { d: d, class: "series", stroke: COLOURS[k % COLOURS.length], "stroke-dasharray": DASHES[k % DASHES.length] }));
      const m = marker(s);
      if (m && m[0] !== null && m[1] !== null && inside(m[0], m[1])) {
        svg.appendChild(svgEl("circle", { cx: sx(m[0]), cy: sy(m[1]), r: 4.5, class: "marker", fill: COLOURS[k % COLOURS.length] }));
      }
      const ly = T + 14 + 14 * k;
      svg.appendChild(svgEl("line", { x1: W - R - 110, x2: W - R - 86, y1: ly - 4, y2: ly - 4, class: "series", stroke: COLOURS[k % COLOURS.length], "stroke-dasharray": DASHES[k % DASHES.length] }));
      svg.appendChild(svgEl("text", { x: W - R - 82, y: ly, class: "legend" }, s.name));
    });
    return svg;
  }
  function drawPlots(view, rows) {
    const ts = view.thresholds, i = state.index;
    const fpRate = (g, j) => (g.non_mated > 0 ? g.fp[j] / g.non_mated : null);
    const fnRate = (g, j) => (g.mated > 0 ? (view.one_to_n ? (g.mated - g.tp[j]) / g.mated : g.tp[j] / g.mated) : null);
    const logOf = (r) => (r !== null && r > 0 ? Math.log10(r) : null);
    let low = 0;
    for (const g of rows) for (let j = 0; j < ts.length; j += 1) { const r = fpRate(g, j); if (r !== null && r > 0) low = Math.min(low, Math.floor(Math.log10(r))); }
    low = Math.max(low, -9);
    const tx = [ts[0], ts[ts.length - 1]];
    const tickT = [];
    const step = (tx[1] - tx[0]) / 5;
    for (let k = 0; k <= 5; k += 1) tickT.push([tx[0] + k * step, fixed(tx[0] + k * step, 2)]);
    const logTicks = [];
    for (let e = low; e <= 0; e += 1) logTicks.push([e, "1e" + e]);
    const fpSeries = rows.map((g) => ({ name: g.group, points: ts.map((t, j) => [t, logOf(fpRate(g, j))]), at: [ts[i], logOf(fpRate(g, i))] }));
    const fnSeries = rows.map((g) => ({ name: g.group, points: ts.map((t, j) => [t, fnRate(g, j)]), at: [ts[i], fnRate(g, i)] }));
    const fnName = view.fn_name;
    const linTicks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => [v, String(v)]);
    const probs = [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99];
    const pr = (r) => (r !== null && r > 0 && r < 1 ? probit(r) : null);
    const detSeries = rows.map((g) => ({ name: g.group, points: ts.map((t, j) => [pr(fpRate(g, j)), pr(fnRate(g, j))]), at: [pr(fpRate(g, i)), pr(fnRate(g, i))] }));
    const px = [probit(Math.pow(10, Math.max(low, -6))), probit(0.5)];
    const py = [probit(1e-4), probit(0.99)];
    const probLabel = (p) => (p < 0.01 ? "1e" + Math.round(Math.log10(p)) : String(p));
    const probTicks = (range) => probs.map((p) => [probit(p), probLabel(p)]).filter(([v]) => v >= range[0] && v <= range[1]);
    plots.replaceChildren(
      panel(view.fp_name + " against threshold (log scale)", "threshold", "log10 " + view.fp_name, tx, [low, 0], fpSeries, (s) => s.at, tickT, logTicks, ts[i]),
      panel(fnName + " against threshold", "threshold", fnName, tx, [0, 1], fnSeries, (s) => s.at, tickT, linTicks, ts[i]),
      panel("DET: " + fnName + " against " + view.fp_name + " (probit axes)", view.fp_name, fnName, px, py, detSeries, (s) => s.at, probTicks(px), probTicks(py), null)
    );
  }

  // ---- events ----
  viewSelect.addEventListener("change", () => {
    const t = data.views[state.view].thresholds[state.index];
    state.view = Number(viewSelect.value);
    const view = data.views[state.view];
    if (!view.groupings[state.grouping]) state.grouping = Object.keys(view.groupings)[0];
    state.index = nearestIndex(view.thresholds, t);
    state.messages = [];
    writeHash();
    render();
  });
  groupingSelect.addEventListener("change", () => { state.grouping = groupingSelect.value; state.messages = []; writeHash(); render(); });
  slider.addEventListener("input", () => { state.index = Number(slider.value); state.messages = []; writeHash(); render(); });
  faces.addEventListener("change", () => {
    const f = Number(faces.value);
    if (Number.isInteger(f) && f > 0) { state.faces = f; state.messages = []; }
    else state.messages = ["Faces seen must be a positive whole number."];
    writeHash();
    render();
  });
  function step(direction) {
    const view = data.views[state.view];
    const ev = evaluatedIndices(view);
    const to = direction < 0 ? ev.filter((k) => k < state.index).pop() : ev.find((k) => k > state.index);
    if (to !== undefined) { state.index = to; state.messages = []; writeHash(); render(); }
  }
  prev.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));
  op.addEventListener("click", () => { state.index = operatingIndex(data.views[state.view]); state.messages = []; writeHash(); render(); });
  window.addEventListener("hashchange", () => { applyHash(); render(); });
  // For a reader's console and for verity's tests: the data and the formatting.
  window.verityExplorer = { data: data, rateCell: rateCell, oneIn: oneIn, expected: expected, thresholdText: thresholdText };
  applyHash();
  render();
})();
