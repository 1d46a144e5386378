"""Grouped bars on a canvas (a components-v2 component), drawn from a bars view such as
``dlviz.datalab.figures.scales_view``: one group per label, one bar per series, on a log or linear axis whose
ticks are worked out on the server, the labels slanted below, a legend, and on hover the group's values.

The Data lab's first screen after an upload draws this instead of a Plotly chart: the first Plotly chart in
a tab costs the browser most of a second to load its 4.7 MB library (docs/benchmarks.md)."""

from __future__ import annotations

from dlviz.ui.canvas import Canvas, single_canvas

HTML, CSS = single_canvas("dlviz-bars")

JS = """
export default function ({ data, parentElement }) {
  const root = parentElement.querySelector(".dlviz-bars");
  const canvas = root.querySelector("canvas"), tip = root.querySelector(".tip");
  const family = '"Source Sans Pro", "Source Sans 3", sans-serif', dpr = window.devicePixelRatio || 1;
  const font = data.font, small = data.label_font;
  let geometry = null;
  const draw = () => {
    const width = Math.max(200, root.clientWidth || 400);
    const g = canvas.getContext("2d");
    g.font = `${small}px ${family}`;
    const slant = Math.PI * 40 / 180;
    const longest = Math.max(10, ...data.labels.map(l => g.measureText(l).width));
    const bottom = longest * Math.sin(slant) + small * 1.2 + 8, height = data.height + bottom;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.font = `${font}px ${family}`;
    const labelW = Math.max(...data.y_ticks.map(t => g.measureText(t[1]).width), 10);
    const left = Math.max(labelW + font * 1.8 + 6, longest * Math.cos(slant) * 0.6);
    const right = 12, top = data.title_font * 1.6 + font * 1.6;
    const w = width - left - right, h = data.height - top;
    const [y0, y1] = data.y_range, T = data.log_y ? Math.log10 : (v => v);
    const Y = y => top + h - (T(y) - y0) / ((y1 - y0) || 1) * h;
    const groups = data.labels.length, slot = w / Math.max(1, groups);
    const barW = slot * 0.8 / Math.max(1, data.series.length);
    geometry = { left, w, slot, top, h };
    g.clearRect(0, 0, width, height);
    g.fillStyle = data.ink; g.textBaseline = "top"; g.textAlign = "left";
    g.font = `${data.title_font}px ${family}`; g.fillText(data.title, 0, 0);
    g.font = `${font}px ${family}`;
    let lx = 0; const items = data.series.map(s => { const iw = g.measureText(s.name).width + font * 2.4; lx += iw; return iw; });
    let x = Math.max(0, (width - lx) / 2);
    data.series.forEach((s, i) => {
      g.fillStyle = s.colour; g.fillRect(x, top - font * 1.45, font * 0.7, font * 0.7);
      g.fillStyle = data.ink; g.textBaseline = "middle"; g.fillText(s.name, x + font * 1.1, top - font * 1.1);
      x += items[i];
    });
    g.strokeStyle = "#E5E5E5"; g.lineWidth = 1; g.fillStyle = data.ink; g.textAlign = "right"; g.textBaseline = "middle";
    for (const [t, label] of data.y_ticks) { const y = Math.round(Y(t)) + 0.5; g.beginPath(); g.moveTo(left, y); g.lineTo(left + w, y); g.stroke(); g.fillText(label, left - 5, y); }
    g.save(); g.translate(font * 0.2, top + h / 2); g.rotate(-Math.PI / 2); g.textAlign = "center"; g.textBaseline = "top"; g.fillText(data.y_title, 0, 0); g.restore();
    const base = Y(data.log_y ? 10 ** y0 : Math.max(y0, 0));
    data.series.forEach((s, k) => {
      g.fillStyle = s.colour;
      s.values.forEach((v, i) => {
        const bx = left + i * slot + slot * 0.1 + k * barW, by = Math.max(top, Math.min(base, Y(v)));
        g.fillRect(bx, by, Math.max(1, barW - 1), base - by);
      });
    });
    g.font = `${small}px ${family}`; g.fillStyle = data.ink; g.textAlign = "right"; g.textBaseline = "middle";
    data.labels.forEach((label, i) => {
      g.save(); g.translate(left + (i + 0.5) * slot, top + h + small * 0.6); g.rotate(-slant); g.fillText(label, 0, 0); g.restore();
    });
    root.dataset.drawn = String((+root.dataset.drawn || 0) + 1);  // for the benchmark and the tests: painted now
  };
  canvas.onmousemove = (event) => {
    if (!geometry) return;
    const rect = canvas.getBoundingClientRect(), px = event.clientX - rect.left, py = event.clientY - rect.top;
    const i = Math.floor((px - geometry.left) / geometry.slot);
    if (i < 0 || i >= data.labels.length || py < geometry.top) { tip.style.display = "none"; return; }
    showTip(tip, root, event, [data.labels[i], ...data.series.map(s => `${s.name}: ${data.hover_prefix}${s.values[i].toPrecision(3)}`)].join("\\n"), font);
  };
  canvas.onmouseleave = () => { tip.style.display = "none"; };
  draw();
  redrawOnResize(root, draw);
}
"""

CANVAS = Canvas("dlviz_bars", html=HTML, css=CSS, js=JS)


def bars(where, view: dict, *, key: str) -> None:
    """Draw the bars ``view`` in ``where``."""
    CANVAS.mount(where, view, key=key)
