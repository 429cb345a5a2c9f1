// Hand-written SVG charts: a sparkline, a line chart of a few series, horizontal bars.
// Colours come from classes in console.css (s0, s1, …), so the page's policy needs no
// inline style; every chart has a title and a text alternative for screen readers.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

function titled(root, label) {
  root.setAttribute("role", "img");
  root.setAttribute("aria-label", label);
  root.prepend(svg("title", {}, label));
  return root;
}

// A null value is a gap: it has no point, and the line breaks there.
function points(values, width, height, pad, max, min = 0) {
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values.map((v, i) => (v === null ? null : [pad + i * step, height - pad - ((Number(v) - min) / span) * (height - 2 * pad)]));
}

const path = (pts) => pts.map((pt, i) => {
  if (pt === null) return "";
  const move = i === 0 || pts[i - 1] === null;
  return `${move ? "M" : "L"}${pt[0].toFixed(1)},${pt[1].toFixed(1)}`;
}).join("");

// A point with no neighbour on either side draws no segment: it gets a dot.
const lonely = (pts) => pts.filter((pt, i) => pt !== null && !pts[i - 1] && !pts[i + 1]);

const numeric = (v) => (v === null || v === undefined ? null : Number(v));

export function sparkline(values, label) {
  const width = 96;
  const height = 24;
  const nums = values.map(Number);
  const max = Math.max(...nums, 0);
  const min = Math.min(...nums, 0);
  const root = svg("svg", { class: "spark", viewBox: `0 0 ${width} ${height}`, width, height });
  if (nums.length) root.append(svg("path", { d: path(points(nums, width, height, 2, max, min)), class: "line s0" }));
  return titled(root, `${label}: ${nums.length ? `${nums[0]} to ${nums[nums.length - 1]}` : "no data"}`);
}

// series: [{ name, values }], labels: one per value (dates); a null value is a gap. The
// scale runs from 0 (or the lowest value, when negative) to the highest.
export function lineChart(title, labels, series) {
  const width = 480;
  const height = 200;
  const pad = 28;
  const all = series.flatMap((s) => s.values.map(numeric).filter((v) => v !== null));
  const max = Math.max(...all, 1);
  const min = Math.min(...all, 0);
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height + 24}`, preserveAspectRatio: "xMidYMid meet" });
  const zero = height - pad - (-min / (max - min || 1)) * (height - 2 * pad);
  root.append(svg("line", { x1: pad, y1: zero, x2: width - pad, y2: zero, class: "axis" }));
  root.append(svg("text", { x: 2, y: pad - 8, class: "tick" }, String(max.toLocaleString("en"))));
  root.append(svg("text", { x: 2, y: zero + 4, class: "tick" }, "0"));
  if (min < 0) root.append(svg("text", { x: 2, y: height - pad + 4, class: "tick" }, String(min.toLocaleString("en"))));
  if (labels.length) {
    root.append(svg("text", { x: pad, y: height - 8, class: "tick" }, labels[0]));
    root.append(svg("text", { x: width - pad, y: height - 8, class: "tick end" }, labels[labels.length - 1]));
  }
  series.forEach((s, i) => {
    const pts = points(s.values.map(numeric), width, height, pad, max, min);
    root.append(svg("path", { d: path(pts), class: `line s${i}` }));
    for (const [cx, cy] of lonely(pts)) root.append(svg("circle", { cx, cy, r: 3, class: `dot s${i}` }));
    const x = pad + i * 150;
    root.append(svg("rect", { x, y: height + 10, width: 12, height: 4, class: `key s${i}` }));
    root.append(svg("text", { x: x + 16, y: height + 16, class: "tick" }, s.name));
  });
  const last = series.map((s) => {
    const given = s.values.filter((v) => v !== null && v !== undefined);
    return `${s.name} ${given.length ? given[given.length - 1] : "none"}`;
  });
  return figure(title, titled(root, `${title}: ${last.join(", ")}`));
}

// items: [{ label, value }]
export function barChart(title, items) {
  const width = 480;
  const row = 26;
  const labelWidth = 150;
  const max = Math.max(...items.map((i) => Number(i.value)), 1);
  const height = Math.max(row * items.length, row);
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMidYMid meet" });
  items.forEach((item, i) => {
    const y = i * row;
    const w = ((width - labelWidth - 60) * Number(item.value)) / max;
    root.append(svg("text", { x: 0, y: y + 17, class: "tick" }, item.label.slice(0, 22)));
    root.append(svg("rect", { x: labelWidth, y: y + 5, width: Math.max(w, 1), height: row - 10, class: `bar s${item.series ?? 0}` }));
    root.append(svg("text", { x: labelWidth + w + 6, y: y + 17, class: "tick" }, Number(item.value).toLocaleString("en")));
  });
  if (!items.length) root.append(svg("text", { x: 0, y: 17, class: "tick" }, "Nothing yet"));
  const alt = items.map((i) => `${i.label} ${i.value}`).join(", ") || "nothing yet";
  return figure(title, titled(root, `${title}: ${alt}`));
}

function figure(title, chart) {
  const fig = document.createElement("figure");
  fig.className = "figure";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  fig.append(caption, chart);
  return fig;
}
