"""Training curves (loss, accuracy) on a canvas (a components-v2 component), drawn from
``dlviz.core.plane.curves_view``: the lines on a linear or log axis with the ticks worked out on the server, a
legend, the best epoch's mark, and on hover every series' value at the nearest epoch."""

from __future__ import annotations

from dlviz.ui.canvas import Canvas, single_canvas

HTML, CSS = single_canvas("dlviz-curves")

JS = """
export default function ({ data, parentElement }) {
  const root = parentElement.querySelector(".dlviz-curves");
  const canvas = root.querySelector("canvas"), tip = root.querySelector(".tip");
  const family = '"Source Sans Pro", "Source Sans 3", sans-serif', dpr = window.devicePixelRatio || 1;
  const font = data.font;
  let geometry = null;
  const draw = () => {
    const width = Math.max(200, root.clientWidth || 400), height = data.height;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.font = `${font}px ${family}`;
    const labelW = Math.max(...data.y_ticks.map(t => g.measureText(t[1]).width), 10);
    const left = labelW + font * 1.8 + 6, right = Math.max(12, font * 1.2), top = data.title_font * 1.6 + font * 1.6, bottom = font * 3.2;
    const w = width - left - right, h = height - top - bottom;
    const [x0, x1] = data.x_range, [y0, y1] = data.y_range;
    const T = data.log_y ? Math.log10 : (v => v);  // a log axis: y_range in decades
    const X = x => left + (x - x0) / ((x1 - x0) || 1) * w, Y = y => top + h - (T(y) - y0) / ((y1 - y0) || 1) * h;
    geometry = { X, left, w, top, h };
    g.clearRect(0, 0, width, height);
    g.fillStyle = data.ink; g.textBaseline = "top"; g.textAlign = "left";
    g.font = `${data.title_font}px ${family}`; g.fillText(data.title, 0, 0);
    g.font = `${font}px ${family}`;
    // legend, centred under the title
    let lx = 0; const items = data.lines.map(l => { const iw = g.measureText(l.name).width + font * 2.4; lx += iw; return iw; });
    let x = Math.max(0, (width - lx) / 2);
    data.lines.forEach((l, i) => {
      g.fillStyle = l.colour; g.beginPath(); g.arc(x + font * 0.5, top - font * 1.1, font * 0.3, 0, 2 * Math.PI); g.fill();
      g.fillStyle = data.ink; g.textBaseline = "middle"; g.fillText(l.name, x + font * 1.1, top - font * 1.1);
      x += items[i];
    });
    g.strokeStyle = "#E5E5E5"; g.lineWidth = 1;
    g.fillStyle = data.ink; g.textAlign = "right"; g.textBaseline = "middle";
    for (const [t, label] of data.y_ticks) { const y = Math.round(Y(t)) + 0.5; g.beginPath(); g.moveTo(left, y); g.lineTo(left + w, y); g.stroke(); g.fillText(label, left - 5, y); }
    g.textAlign = "center"; g.textBaseline = "top";
    for (const [t, label] of data.x_ticks) { const xx = Math.round(X(t)) + 0.5; g.beginPath(); g.moveTo(xx, top); g.lineTo(xx, top + h); g.stroke(); g.fillText(label, xx, top + h + 4); }
    g.fillText(data.x_title, left + w / 2, top + h + font * 1.6);
    g.save(); g.translate(font * 0.2, top + h / 2); g.rotate(-Math.PI / 2); g.textBaseline = "top"; g.fillText(data.y_title, 0, 0); g.restore();
    g.save(); g.beginPath(); g.rect(left, top - data.line, w, h + 2 * data.line); g.clip();
    for (const l of data.lines) {
      g.strokeStyle = g.fillStyle = l.colour; g.lineWidth = data.line; g.lineJoin = "round";
      if (l.x.length === 1) { g.beginPath(); g.arc(X(l.x[0]), Y(l.y[0]), data.marker / 2, 0, 2 * Math.PI); g.fill(); continue; }
      g.beginPath();
      l.x.forEach((e, i) => (i ? g.lineTo(X(e), Y(l.y[i])) : g.moveTo(X(e), Y(l.y[i]))));
      g.stroke();
    }
    g.restore();
    if (data.best) {  // the epoch of the lowest validation loss: a dashed line, its label on the side with room
      const bx = Math.round(X(data.best.epoch)) + 0.5;
      g.strokeStyle = g.fillStyle = data.grey; g.lineWidth = Math.max(1, data.line / 2); g.setLineDash([5, 4]);
      g.beginPath(); g.moveTo(bx, top); g.lineTo(bx, top + h); g.stroke(); g.setLineDash([]);
      g.textBaseline = "top"; g.textAlign = data.best.left ? "right" : "left";
      g.fillText(data.best.label, bx + (data.best.left ? -4 : 4), top + 2);
    }
    root.dataset.drawn = String((+root.dataset.drawn || 0) + 1);  // for the benchmark: painted now
  };
  canvas.onmousemove = (event) => {
    if (!geometry || !data.lines.some(l => l.x.length)) return;
    const rect = canvas.getBoundingClientRect(), px = event.clientX - rect.left;
    if (px < geometry.left || px > geometry.left + geometry.w) { tip.style.display = "none"; return; }
    const [x0, x1] = data.x_range, epoch = Math.round(x0 + (px - geometry.left) / geometry.w * (x1 - x0));
    const rows = data.lines.map(l => {
      let best = 0; l.x.forEach((e, i) => { if (Math.abs(e - epoch) < Math.abs(l.x[best] - epoch)) best = i; });
      const v = l.y[best];
      return l.x.length ? `${l.name}: ${data.fraction ? (v * 100).toFixed(1) + "%" : v.toPrecision(4)} (epoch ${l.x[best]})` : "";
    }).filter(Boolean);
    showTip(tip, root, event, rows.join("\\n"), font);
  };
  canvas.onmouseleave = () => { tip.style.display = "none"; };
  draw();
  redrawOnResize(root, draw);
}
"""

CANVAS = Canvas("dlviz_curves", html=HTML, css=CSS, js=JS)


def curves(where, view: dict, *, key: str) -> None:
    """Draw the curves ``view`` (``dlviz.core.plane.curves_view``) in ``where``."""
    CANVAS.mount(where, view, key=key)
