"use strict";
// embedkit explorer: a zoomable map of words with in-page nearest neighbours, analogies and pairs.
// Data (inlined by embedkit.explore.build_page): #ek-meta (JSON), #ek-vectors (int8 codes of the unit
// rows, base64), #ek-coords (uint16 x,y pairs, base64), #ek-clusters (uint8 per word, base64 or empty).
(function () {
  const $ = (id) => document.getElementById(id);
  const meta = JSON.parse($("ek-meta").textContent);
  const words = meta.words, N = words.length, D = meta.dim;

  function bytesOf(id) {
    const el = $(id), text = atob(el.textContent.trim());
    el.textContent = "";  // the decoded copy is enough
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  const codes = new Int8Array(bytesOf("ek-vectors").buffer);
  const xy16 = new Uint16Array(bytesOf("ek-coords").buffer);
  const clusterOf = meta.clusters ? bytesOf("ek-clusters") : null;

  // 1 / norm of each row of codes: the cosine of rows i and j is dot(codes_i, codes_j) * inv[i] * inv[j]
  const inv = new Float32Array(N);
  for (let i = 0, o = 0; i < N; i++, o += D) {
    let s = 0;
    for (let j = 0; j < D; j++) { const v = codes[o + j]; s += v * v; }
    inv[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  const mapX = new Float32Array(N), mapY = new Float32Array(N);
  for (let i = 0; i < N; i++) { mapX[i] = xy16[2 * i] / 65535; mapY[i] = 1 - xy16[2 * i + 1] / 65535; }

  const index = new Map(), lowerIndex = new Map(), lower = new Array(N);
  for (let i = 0; i < N; i++) {
    const w = words[i], l = w.toLowerCase();
    lower[i] = l;
    if (!index.has(w)) index.set(w, i);
    if (!lowerIndex.has(l)) lowerIndex.set(l, i);  // words are most frequent first: the frequent spelling wins
  }
  function lookup(text) {
    const t = text.trim();
    if (index.has(t)) return index.get(t);
    const l = t.toLowerCase();
    return lowerIndex.has(l) ? lowerIndex.get(l) : -1;
  }

  // ------------------------------------------------------------------ cosine queries
  const scores = new Float32Array(N);
  function addUnitRow(query, i, weight) {
    const o = i * D, f = inv[i] * weight;
    for (let j = 0; j < D; j++) query[j] += codes[o + j] * f;
  }
  function scoreAll(query) {
    for (let i = 0, o = 0; i < N; i++, o += D) {
      let s = 0;
      for (let j = 0; j < D; j++) s += codes[o + j] * query[j];
      scores[i] = s * inv[i];
    }
  }
  // the k best rows by score, best first; equal scores keep the more frequent word first
  function topK(k, exclude) {
    const idx = [], val = [];
    for (let i = 0; i < N; i++) {
      const s = scores[i];
      if ((idx.length === k && !(s > val[k - 1])) || exclude.indexOf(i) >= 0) continue;
      if (idx.length < k) { idx.push(i); val.push(s); }
      let p = idx.length - 1;
      while (p > 0 && val[p - 1] < s) { idx[p] = idx[p - 1]; val[p] = val[p - 1]; p--; }
      idx[p] = i; val[p] = s;
    }
    return idx.map((i, r) => [i, val[r]]);
  }
  function neighbours(i, k) {
    const q = new Float32Array(D);
    addUnitRow(q, i, 1);
    scoreAll(q);
    return topK(k, [i]);
  }
  function analogy(a, b, c, k) {  // 3CosAdd: cos(x, a) - cos(x, b) + cos(x, c), the query words excluded
    const q = new Float32Array(D);
    addUnitRow(q, a, 1); addUnitRow(q, b, -1); addUnitRow(q, c, 1);
    scoreAll(q);
    return topK(k, [a, b, c]);
  }

  // ------------------------------------------------------------------ spatial grid (hover and click)
  const G = Math.max(16, Math.min(512, Math.ceil(Math.sqrt(N / 4))));
  const cellStart = new Int32Array(G * G + 1), cellItems = new Int32Array(N);
  const cellOf = (x, y) => Math.min(G - 1, Math.max(0, Math.floor(x * G))) +
    G * Math.min(G - 1, Math.max(0, Math.floor(y * G)));
  {
    const cells = new Int32Array(N);
    for (let i = 0; i < N; i++) { cells[i] = cellOf(mapX[i], mapY[i]); cellStart[cells[i] + 1]++; }
    for (let c = 0; c < G * G; c++) cellStart[c + 1] += cellStart[c];
    const fill = cellStart.slice(0, G * G);
    for (let i = 0; i < N; i++) cellItems[fill[cells[i]]++] = i;
  }

  // ------------------------------------------------------------------ state
  const canvas = $("ek-canvas"), ctx = canvas.getContext("2d");
  const mapBox = $("ek-map"), tip = $("ek-tip");
  let W = 0, H = 0, dpr = 1;
  const view = { s: 1, tx: 0, ty: 0, base: 1 };  // screen = t + p * s, in CSS pixels
  const mapLayer = { x: mapX, y: mapY, only: null, axes: meta.axes };
  let layer = mapLayer;
  let selected = -1, hovered = -1, nearList = [], analogyList = [], pairs = [];
  let colours = {}, palette = [];

  // points grouped by cluster so that each colour is one path
  const order = new Int32Array(N), groupStart = new Int32Array((meta.clusters || 1) + 1);
  if (clusterOf) {
    for (let i = 0; i < N; i++) groupStart[clusterOf[i] + 1]++;
    for (let c = 0; c < meta.clusters; c++) groupStart[c + 1] += groupStart[c];
    const fill = groupStart.slice(0, meta.clusters);
    for (let i = 0; i < N; i++) order[fill[clusterOf[i]]++] = i;
  } else {
    for (let i = 0; i < N; i++) order[i] = i;
    groupStart[1] = N;
  }

  function isDark() {
    const t = document.documentElement.dataset.theme;
    return t ? t === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function readColours() {
    const cs = getComputedStyle(document.documentElement), v = (n) => cs.getPropertyValue(n).trim();
    colours = { bg: v("--bg"), fg: v("--fg"), muted: v("--muted"), point: v("--point"), accent: v("--accent"),
      pair: v("--pair"), halo: v("--halo"), select: v("--select") };
    const dark = isDark();
    palette = [];
    for (let c = 0; c < (meta.clusters || 0); c++) {
      const hue = (c * 137.508 + 200) % 360;
      palette.push(dark ? `hsl(${hue.toFixed(1)},70%,66%)` : `hsl(${hue.toFixed(1)},65%,40%)`);
    }
    $("ek-theme").textContent = dark ? "Light" : "Dark";
  }

  // ------------------------------------------------------------------ view
  function boundsOf(ids) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const each = (i) => {
      const x = layer.x[i], y = layer.y[i];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    };
    if (ids) ids.forEach(each); else for (let i = 0; i < N; i++) each(i);
    return [x0, x1, y0, y1];
  }
  function fit(ids, setBase) {
    const [x0, x1, y0, y1] = boundsOf(ids), m = 40;
    const s = Math.min((W - 2 * m) / Math.max(x1 - x0, 1e-6), (H - 2 * m) / Math.max(y1 - y0, 1e-6));
    view.s = Math.max(1e-3, s);
    view.tx = W / 2 - view.s * (x0 + x1) / 2;
    view.ty = H / 2 - view.s * (y0 + y1) / 2;
    if (setBase) view.base = view.s;
    redraw();
  }
  function zoomAt(mx, my, factor) {
    const s = Math.min(view.base * 20000, Math.max(view.base * 0.3, view.s * factor));
    view.tx = mx - (mx - view.tx) * (s / view.s);
    view.ty = my - (my - view.ty) * (s / view.s);
    view.s = s;
    redraw();
  }
  function centreOn(i, minZoom) {
    if (minZoom) view.s = Math.max(view.s, view.base * minZoom);
    view.tx = W / 2 - view.s * layer.x[i];
    view.ty = H / 2 - view.s * layer.y[i];
    redraw();
  }
  let pending = false;
  function redraw() {
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }

  // ------------------------------------------------------------------ drawing
  const FONT = 12, widths = new Float32Array(N);
  let occ = new Uint8Array(0), occW = 0, occH = 0;
  const reserved = [document.querySelector(".ek-zoom"), $("ek-axes")];
  const CELL = 6;
  function widthOf(i, strong) {  // measured in the regular face; bold is about 10% wider
    if (!widths[i]) widths[i] = ctx.measureText(words[i]).width + 1;
    return strong ? widths[i] * 1.12 : widths[i];
  }
  function boxFree(x, y, w, h) {
    const c0 = Math.max(0, Math.floor(x / CELL)), c1 = Math.min(occW - 1, Math.floor((x + w) / CELL));
    const r0 = Math.max(0, Math.floor(y / CELL)), r1 = Math.min(occH - 1, Math.floor((y + h) / CELL));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (occ[r * occW + c]) return false;
    return true;
  }
  function boxMark(x, y, w, h) {
    const c0 = Math.max(0, Math.floor(x / CELL)), c1 = Math.min(occW - 1, Math.floor((x + w) / CELL));
    const r0 = Math.max(0, Math.floor(y / CELL)), r1 = Math.min(occH - 1, Math.floor((y + h) / CELL));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) occ[r * occW + c] = 1;
  }
  // place the label of word i beside its point (right, left, above, below) where no label is yet
  function placeLabel(i, r, force, out, style) {
    const sx = view.tx + layer.x[i] * view.s, sy = view.ty + layer.y[i] * view.s;
    const w = widthOf(i, style !== "word"), h = FONT + 2;
    const spots = [[r + 3, -h / 2], [-r - 3 - w, -h / 2], [-w / 2, -r - 2 - h], [-w / 2, r + 2]];
    for (const [ox, oy] of spots) {
      const bx = sx + ox, by = sy + oy;
      if (bx < 0 || by < 0 || bx + w > W || by + h > H) continue;
      if (boxFree(bx, by, w, h)) { boxMark(bx, by, w, h); out.push([i, bx, by + h / 2, style]); return true; }
    }
    if (force) { out.push([i, sx + r + 3, sy, style]); boxMark(sx + r + 3, sy - h / 2, w, h); return true; }
    return false;
  }
  function arrow(x0, y0, x1, y1) {
    const a = Math.atan2(y1 - y0, x1 - x0), len = Math.hypot(x1 - x0, y1 - y0), head = Math.min(10, len / 3);
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * Math.cos(a - 0.4), y1 - head * Math.sin(a - 0.4));
    ctx.lineTo(x1 - head * Math.cos(a + 0.4), y1 - head * Math.sin(a + 0.4));
    ctx.closePath(); ctx.fill();
  }
  function draw() {
    pending = false;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = colours.bg;
    ctx.fillRect(0, 0, W, H);
    const s = view.s, tx = view.tx, ty = view.ty, lx = layer.x, ly = layer.y, only = layer.only;
    const zoom = s / view.base;
    const r = Math.min(4.5, 1.3 + 0.55 * Math.log2(Math.max(1, zoom)) + (only ? 2 : 0));
    const visible = (i) => {
      const sx = tx + lx[i] * s, sy = ty + ly[i] * s;
      return sx >= -r && sy >= -r && sx <= W + r && sy <= H + r;
    };
    // points
    ctx.globalAlpha = only ? 1 : 0.75;
    if (only) {
      for (const i of only) {
        ctx.fillStyle = clusterOf ? palette[clusterOf[i]] : colours.point;
        ctx.fillRect(tx + lx[i] * s - r, ty + ly[i] * s - r, 2 * r, 2 * r);
      }
    } else {
      const groups = clusterOf ? meta.clusters : 1;
      for (let g = 0; g < groups; g++) {
        ctx.fillStyle = clusterOf ? palette[g] : colours.point;
        ctx.beginPath();
        for (let k = groupStart[g]; k < groupStart[g + 1]; k++) {
          const i = order[k], sx = tx + lx[i] * s, sy = ty + ly[i] * s;
          if (sx < -r || sy < -r || sx > W + r || sy > H + r) continue;
          ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
        }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    // pair arrows
    ctx.lineWidth = 1.5; ctx.strokeStyle = colours.pair; ctx.fillStyle = colours.pair;
    for (const [a, b] of pairs) arrow(tx + lx[a] * s, ty + ly[a] * s, tx + lx[b] * s, ty + ly[b] * s);
    // rings around the selection, its neighbours and the analogy answers
    const ring = (i, colour, size) => {
      ctx.strokeStyle = colour; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(tx + lx[i] * s, ty + ly[i] * s, size, 0, 2 * Math.PI); ctx.stroke();
    };
    const inLayer = (i) => !only || only.indexOf(i) >= 0;
    for (const [i] of nearList) if (inLayer(i)) ring(i, colours.accent, r + 3);
    for (const [i] of analogyList) if (inLayer(i)) ring(i, colours.pair, r + 3);
    if (selected >= 0 && inLayer(selected)) ring(selected, colours.select, r + 5);
    if (hovered >= 0) ring(hovered, colours.fg, r + 3);
    // labels: the chosen words first, then every visible word, most frequent first, where there is room
    if (occW !== Math.ceil(W / CELL) || occH !== Math.ceil(H / CELL)) {
      occW = Math.ceil(W / CELL); occH = Math.ceil(H / CELL); occ = new Uint8Array(occW * occH);
    } else occ.fill(0);
    ctx.font = `${FONT}px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif`;
    for (const el of reserved) {  // no label under the zoom buttons or the axis line
      const b = el.getBoundingClientRect(), m = mapBox.getBoundingClientRect();
      if (b.width) boxMark(b.left - m.left - 4, b.top - m.top - 4, b.width + 8, b.height + 8);
    }
    const labels = [];
    const forced = [];
    if (selected >= 0) forced.push([selected, "select"]);
    for (const [a, b] of pairs) forced.push([a, "pair"], [b, "pair"]);
    for (const [i] of nearList) forced.push([i, "near"]);
    for (const [i] of analogyList) forced.push([i, "pair"]);
    const done = new Set();
    for (const [i, style] of forced) {
      if (done.has(i) || !inLayer(i) || !visible(i)) continue;
      done.add(i);
      placeLabel(i, r, style === "select", labels, style);
    }
    const maxLabels = Math.max(20, Math.floor(W * H / 3500));
    let tried = 0;
    const candidates = only || null;
    const count = candidates ? candidates.length : N;
    for (let k = 0; k < count && labels.length < maxLabels && tried < 30000; k++) {
      const i = candidates ? candidates[k] : k;
      if (done.has(i) || !visible(i)) continue;
      tried++;
      const sx = tx + lx[i] * s, sy = ty + ly[i] * s;
      if (!boxFree(sx + r + 3, sy - 2, 1, 4) && !boxFree(sx - r - 4, sy - 2, 1, 4)) continue;
      placeLabel(i, r, false, labels, "word");
    }
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    for (const [i, x, y, style] of labels) {
      const strong = style !== "word";
      ctx.font = `${strong ? "600 " : ""}${FONT}px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif`;
      ctx.lineWidth = 3; ctx.strokeStyle = colours.halo; ctx.strokeText(words[i], x, y);
      ctx.fillStyle = style === "select" ? colours.select : style === "near" ? colours.accent
        : style === "pair" ? colours.pair : colours.fg;
      ctx.fillText(words[i], x, y);
    }
    const axes = layer.axes || ["", ""];
    $("ek-axes").textContent = axes[0] ? `x: ${axes[0]} \u00b7 y: ${axes[1]} \u00b7 zoom ${zoom.toFixed(zoom < 10 ? 1 : 0)}x`
      : `zoom ${zoom.toFixed(1)}x`;
    canvas.dataset.labels = String(labels.length);
  }

  // ------------------------------------------------------------------ picking
  function nearest(mx, my, radius) {
    const s = view.s, px = (mx - view.tx) / s, py = (my - view.ty) / s;
    let best = -1, bestD = radius * radius;
    const test = (i) => {
      const dx = (layer.x[i] - px) * s, dy = (layer.y[i] - py) * s, d = dx * dx + dy * dy;
      if (d < bestD || (d === bestD && i < best)) { bestD = d; best = i; }
    };
    if (layer.only) { for (const i of layer.only) test(i); return best; }
    const rd = radius / s;
    const c0 = Math.max(0, Math.floor((px - rd) * G)), c1 = Math.min(G - 1, Math.floor((px + rd) * G));
    const r0 = Math.max(0, Math.floor((py - rd) * G)), r1 = Math.min(G - 1, Math.floor((py + rd) * G));
    if ((c1 - c0 + 1) * (r1 - r0 + 1) > 4096) return -1;  // too far out to pick one point
    for (let rr = r0; rr <= r1; rr++) for (let c = c0; c <= c1; c++) {
      const cell = rr * G + c;
      for (let k = cellStart[cell]; k < cellStart[cell + 1]; k++) test(cellItems[k]);
    }
    return best;
  }

  // ------------------------------------------------------------------ panels
  function fmtMs(ms) { return ms < 10 ? ms.toFixed(1) : ms.toFixed(0); }
  function renderResults(ol, items) {
    ol.textContent = "";
    for (const [i, score] of items) {
      const li = document.createElement("li"), b = document.createElement("button"), sc = document.createElement("span");
      li.dataset.word = words[i]; li.dataset.score = score.toFixed(6);
      b.type = "button"; b.textContent = words[i]; b.addEventListener("click", () => select(i, true));
      sc.className = "ek-score"; sc.textContent = score.toFixed(3);
      li.append(b, sc); ol.append(li);
    }
  }
  const api = { ready: false, readyMs: 0, lastQueryMs: 0 };
  function select(i, centre) {
    selected = i;
    const t = performance.now();
    nearList = neighbours(i, 10);
    api.lastQueryMs = performance.now() - t;
    $("ek-selected").textContent = `${words[i]}  (#${(i + 1).toLocaleString("en")} by frequency)`;
    renderResults($("ek-neighbours"), nearList);
    $("ek-nn-time").textContent = `10 nearest of ${N.toLocaleString("en")} words by cosine, in ${fmtMs(api.lastQueryMs)} ms`;
    $("ek-selected").parentElement.scrollIntoView({ block: "nearest" });
    if (layer.only && layer.only.indexOf(i) < 0) showMap();
    if (centre) centreOn(i, 6); else redraw();
  }
  function showMap() {
    if (layer !== mapLayer) { layer = mapLayer; fit(null, true); }
  }

  // search with suggestions
  const search = $("ek-search"), suggestBox = $("ek-suggest");
  let suggestions = [], active = -1;
  function suggest(text) {
    const q = text.trim().toLowerCase(), out = [];
    if (!q) return out;
    const exact = lowerIndex.has(q) ? lowerIndex.get(q) : -1;
    if (exact >= 0) out.push(exact);
    for (let i = 0; i < N && out.length < 8; i++) if (i !== exact && lower[i].startsWith(q)) out.push(i);
    for (let i = 0; i < N && out.length < 8; i++) if (!lower[i].startsWith(q) && lower[i].includes(q)) out.push(i);
    return out;
  }
  function showSuggestions() {
    suggestBox.textContent = "";
    suggestions.forEach((i, k) => {
      const li = document.createElement("li"), small = document.createElement("small");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(k === active));
      li.dataset.word = words[i];
      li.textContent = words[i];
      small.textContent = `#${(i + 1).toLocaleString("en")}`;
      li.append(small);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(i); });
      suggestBox.append(li);
    });
    suggestBox.hidden = suggestions.length === 0;
  }
  function pick(i) {
    search.value = words[i];
    suggestions = []; active = -1; showSuggestions();
    $("ek-status").textContent = "";
    select(i, true);
  }
  search.addEventListener("input", () => { suggestions = suggest(search.value); active = -1; showSuggestions(); });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (suggestions.length) {
        const n = suggestions.length;
        active = e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1);
        showSuggestions();
      }
    } else if (e.key === "Enter") {
      e.preventDefault();
      const i = active >= 0 ? suggestions[active] : lookup(search.value);
      if (i >= 0) pick(i);
      else if (suggestions.length) pick(suggestions[0]);
      else if (search.value.trim()) $("ek-status").textContent = `no word "${search.value.trim()}" in this page`;
    } else if (e.key === "Escape") {
      suggestions = []; showSuggestions();
    }
  });
  search.addEventListener("blur", () => { suggestions = []; showSuggestions(); });

  // analogy
  $("ek-analogy").addEventListener("submit", (e) => {
    e.preventDefault();
    const ids = ["ek-a", "ek-b", "ek-c"].map((id) => $(id).value || $(id).placeholder);
    const found = ids.map(lookup), missing = ids.filter((w, k) => found[k] < 0);
    const msg = $("ek-analogy-msg");
    if (missing.length) {
      msg.textContent = `not in this page: ${missing.join(", ")}`;
      analogyList = []; renderResults($("ek-analogy-out"), []); redraw();
      return;
    }
    const t = performance.now();
    analogyList = analogy(found[0], found[1], found[2], 10);
    api.lastQueryMs = performance.now() - t;
    msg.textContent = `${words[found[0]]} \u2212 ${words[found[1]]} + ${words[found[2]]} (3CosAdd), ${fmtMs(api.lastQueryMs)} ms`;
    renderResults($("ek-analogy-out"), analogyList);
    showMap();
    if (analogyList.length) centreOn(analogyList[0][0], 0); else redraw();
  });

  // pairs: arrows from the first word of a line to the second, on the map or on their own PCA
  function parsePairs(text) {
    const out = [], missing = [];
    for (const line of text.split("\n")) {
      const t = line.split(/\s*(?:->|\u2192|=>|[\t,;]|\s)\s*/).filter(Boolean);
      if (t.length < 2) continue;
      const a = lookup(t[0]), b = lookup(t[1]);
      if (a < 0) missing.push(t[0]);
      if (b < 0) missing.push(t[1]);
      if (a >= 0 && b >= 0) out.push([a, b]);
    }
    return [out, missing];
  }
  function pcaLayer(ids) {  // 2-D PCA of the unit vectors of ids, by power iteration on X^T X
    const n = ids.length, X = new Float64Array(n * D), mean = new Float64Array(D);
    ids.forEach((i, r) => { for (let j = 0; j < D; j++) { X[r * D + j] = codes[i * D + j] * inv[i]; mean[j] += X[r * D + j] / n; } });
    let total = 0;
    for (let r = 0; r < n; r++) for (let j = 0; j < D; j++) { X[r * D + j] -= mean[j]; total += X[r * D + j] ** 2; }
    const comps = [], vars = [];
    for (let c = 0; c < 2; c++) {
      let v = new Float64Array(D);
      for (let j = 0; j < D; j++) v[j] = Math.sin(j + 1 + 7 * c);
      let lambda = 0;
      for (let it = 0; it < 300; it++) {
        const u = new Float64Array(n), w = new Float64Array(D);
        for (let r = 0; r < n; r++) { let s = 0; for (let j = 0; j < D; j++) s += X[r * D + j] * v[j]; u[r] = s; }
        for (let r = 0; r < n; r++) for (let j = 0; j < D; j++) w[j] += X[r * D + j] * u[r];
        for (const p of comps) { let d = 0; for (let j = 0; j < D; j++) d += w[j] * p[j]; for (let j = 0; j < D; j++) w[j] -= d * p[j]; }
        let norm = 0; for (let j = 0; j < D; j++) norm += w[j] * w[j];
        norm = Math.sqrt(norm);
        if (norm === 0) break;
        let change = 0;
        for (let j = 0; j < D; j++) { const x = w[j] / norm; change += Math.abs(x - v[j]); v[j] = x; }
        lambda = norm;
        if (change < 1e-9) break;
      }
      comps.push(v); vars.push(total > 0 ? lambda / total : 0);
    }
    const x = new Float32Array(N), y = new Float32Array(N);
    ids.forEach((i, r) => {
      let a = 0, b = 0;
      for (let j = 0; j < D; j++) { a += X[r * D + j] * comps[0][j]; b += X[r * D + j] * comps[1][j]; }
      x[i] = a; y[i] = -b;
    });
    const pct = (f) => `${(100 * f).toFixed(1)}% of variance`;
    return { x, y, only: Int32Array.from(ids), axes: [`PC1 of these ${n} words (${pct(vars[0])})`, `PC2 (${pct(vars[1])})`] };
  }
  function drawPairs() {
    const [found, missing] = parsePairs($("ek-pairs").value);
    pairs = found;
    const msg = $("ek-pairs-msg");
    msg.textContent = (found.length ? `${found.length} pairs` : "no pair with both words in this page") +
      (missing.length ? `; not in this page: ${[...new Set(missing)].join(", ")}` : "");
    if (!found.length) { showMap(); redraw(); return; }
    const ids = [...new Set(found.flat())];
    if ($("ek-pairs-pca").checked && ids.length >= 3) {
      layer = pcaLayer(ids);
      fit(ids, true);
    } else {
      showMap();
      fit(ids, false);
    }
  }
  $("ek-pairs-draw").addEventListener("click", drawPairs);
  $("ek-pairs-clear").addEventListener("click", () => { pairs = []; $("ek-pairs-msg").textContent = ""; showMap(); redraw(); });
  $("ek-pairs").value = meta.pairs.map(([a, b]) => `${a} ${b}`).join("\n");

  // ------------------------------------------------------------------ mouse, keys, theme, size
  let drag = null;
  canvas.tabIndex = 0;
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoomAt(e.clientX - rect.left, e.clientY - rect.top, Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)));
  }, { passive: false });
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    drag = { x: e.clientX, y: e.clientY, tx: view.tx, ty: view.ty, moved: false };
  });
  canvas.addEventListener("pointermove", (e) => {
    const rect = canvas.getBoundingClientRect(), mx = e.clientX - rect.left, my = e.clientY - rect.top;
    if (drag) {
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; canvas.classList.add("ek-dragging"); }
      if (drag.moved) { view.tx = drag.tx + dx; view.ty = drag.ty + dy; tip.hidden = true; redraw(); return; }
    }
    const i = nearest(mx, my, 10);
    if (i !== hovered) { hovered = i; redraw(); }
    if (i >= 0) {
      tip.textContent = words[i];
      tip.hidden = false;
      tip.style.left = `${Math.min(mx + 12, W - tip.offsetWidth - 4)}px`;
      tip.style.top = `${Math.max(4, my - 28)}px`;
    } else tip.hidden = true;
  });
  canvas.addEventListener("pointerleave", () => { tip.hidden = true; if (hovered >= 0) { hovered = -1; redraw(); } });
  canvas.addEventListener("pointerup", (e) => {
    const wasDrag = drag && drag.moved;
    drag = null; canvas.classList.remove("ek-dragging");
    if (wasDrag) return;
    const rect = canvas.getBoundingClientRect(), i = nearest(e.clientX - rect.left, e.clientY - rect.top, 10);
    if (i >= 0) select(i, false);
  });
  canvas.addEventListener("dblclick", (e) => {
    const rect = canvas.getBoundingClientRect();
    zoomAt(e.clientX - rect.left, e.clientY - rect.top, 2);
  });
  canvas.addEventListener("keydown", (e) => {
    const step = 60;
    const keys = { "+": () => zoomAt(W / 2, H / 2, 1.5), "=": () => zoomAt(W / 2, H / 2, 1.5),
      "-": () => zoomAt(W / 2, H / 2, 1 / 1.5), "0": () => fit(layer.only, true),
      ArrowLeft: () => { view.tx += step; redraw(); }, ArrowRight: () => { view.tx -= step; redraw(); },
      ArrowUp: () => { view.ty += step; redraw(); }, ArrowDown: () => { view.ty -= step; redraw(); } };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  $("ek-zoom-in").addEventListener("click", () => zoomAt(W / 2, H / 2, 1.5));
  $("ek-zoom-out").addEventListener("click", () => zoomAt(W / 2, H / 2, 1 / 1.5));
  $("ek-zoom-reset").addEventListener("click", () => fit(layer.only, true));
  $("ek-theme").addEventListener("click", () => {
    document.documentElement.dataset.theme = isDark() ? "light" : "dark";
    readColours(); redraw();
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { readColours(); redraw(); });

  function resize() {
    const rect = mapBox.getBoundingClientRect();
    const first = W === 0;
    const cx = (W / 2 - view.tx) / view.s, cy = (H / 2 - view.ty) / view.s;
    W = Math.max(1, rect.width); H = Math.max(1, rect.height); dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    if (first) { fit(layer.only, true); return; }
    view.tx = W / 2 - cx * view.s; view.ty = H / 2 - cy * view.s;
    redraw();
  }
  new ResizeObserver(resize).observe(mapBox);

  // ------------------------------------------------------------------ start
  const kind = meta.layout === "pca" ? "PCA" : "t-SNE";
  $("ek-info").textContent = `${kind} map of the ${N.toLocaleString("en")} ` +
    `${meta.frequent ? "most frequent" : "listed"} words, ${D} dimensions` + (meta.clusters ? `, coloured by ${meta.clusters} k-means clusters.` : ".") +
    " Neighbours and analogies are searched among the words of this page.";
  readColours();
  resize();
  requestAnimationFrame(() => {
    if (pending) draw();
    api.ready = true;
    api.readyMs = performance.now();
    document.documentElement.dataset.ready = "1";
    $("ek-status").textContent = `${N.toLocaleString("en")} words \u00b7 ${D} dims \u00b7 ready in ${fmtMs(api.readyMs)} ms`;
  });
  api.drawMs = () => { const t = performance.now(); draw(); return performance.now() - t; };  // one full frame
  api.zoom = (factor) => zoomAt(W / 2, H / 2, factor);
  api.neighbours = (w, k) => { const i = lookup(w); return i < 0 ? null : neighbours(i, k || 10).map(([j, s]) => [words[j], s]); };
  api.analogy = (a, b, c, k) => {
    const ids = [a, b, c].map(lookup);
    return ids.some((i) => i < 0) ? null : analogy(ids[0], ids[1], ids[2], k || 10).map(([j, s]) => [words[j], s]);
  };
  window.embedkitExplorer = api;
})();
