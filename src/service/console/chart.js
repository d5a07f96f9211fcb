/**
 * A small inline SVG chart of recent runs: a bar per run for its duration, a line for its changes.
 * The same figures are in the runs table, so the chart is decoration for sighted readers (its title
 * says what it shows).
 */
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** `points`: oldest first, each `{ label, durationMs, changes }`. */
export function runsChart(points) {
  const width = 640;
  const height = 180;
  const pad = { left: 48, right: 72, top: 16, bottom: 28 };
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart",
    role: "img",
    "aria-labelledby": "chart-title",
  });
  root.append(
    svg(
      "title",
      { id: "chart-title" },
      `Duration (bars) and changes (line) of the last ${points.length} runs`,
    ),
  );
  if (points.length === 0) return root;
  const maxDuration = Math.max(1, ...points.map((p) => p.durationMs ?? 0));
  const maxChanges = Math.max(1, ...points.map((p) => p.changes ?? 0));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = plotW / points.length;
  const y = (v, max) => pad.top + plotH - (v / max) * plotH;
  root.append(
    svg("line", {
      x1: pad.left,
      y1: pad.top + plotH,
      x2: width - pad.right,
      y2: pad.top + plotH,
      class: "axis",
    }),
    svg(
      "text",
      { x: pad.left - 6, y: pad.top + 4, "text-anchor": "end", class: "tick" },
      `${(maxDuration / 1000).toFixed(1)} s`,
    ),
    svg(
      "text",
      { x: width - pad.right + 6, y: pad.top + 4, class: "tick tick-changes" },
      `${maxChanges} changes`,
    ),
  );
  const line = [];
  points.forEach((p, i) => {
    const x = pad.left + i * step;
    const top = y(p.durationMs ?? 0, maxDuration);
    root.append(
      svg("rect", {
        x: x + step * 0.15,
        y: top,
        width: step * 0.7,
        height: pad.top + plotH - top,
        class: "bar",
      }),
    );
    line.push(`${x + step / 2},${y(p.changes ?? 0, maxChanges)}`);
    if (points.length <= 12 || i % Math.ceil(points.length / 12) === 0) {
      root.append(
        svg("text", { x: x + step / 2, y: height - 8, "text-anchor": "middle", class: "tick" }, p.label),
      );
    }
  });
  root.append(svg("polyline", { points: line.join(" "), class: "changes" }));
  return root;
}
