"""The Playground's network diagram on a canvas (a components-v2 component), drawn from
``dlviz.playground.figures.network_view``: node pictures from one sprite, edges as wide and as coloured as
their weights, captions, the input labels, and the glass box's numbers under the nodes.

Hovering an edge or a node names it (and its weight or bias, with its value); on an editable diagram a
click picks that weight or bias, and ``diagram_pick(key)`` tells the page which, once.
"""

from __future__ import annotations

from dlviz.ui.canvas import Canvas

HTML = '<div class="dlviz-diagram"><canvas></canvas><div class="tip"></div></div>'

CSS = """
.dlviz-diagram { position: relative; width: 100%; }
.dlviz-diagram canvas { display: block; margin: 0 auto; }
.dlviz-diagram .tip { position: absolute; pointer-events: none; display: none; background: rgba(255,255,255,0.94);
                      border: 1px solid #BDBDBD; border-radius: 3px; padding: 1px 5px; white-space: nowrap;
                      font-family: "Source Sans Pro", "Source Sans 3", sans-serif; }
"""

JS = """
// The last sprite decoded, kept across mounts (while the page plays each frame is a new element).
let shown = null;

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement.querySelector(".dlviz-diagram");
  const canvas = root.querySelector("canvas"), tip = root.querySelector(".tip");
  root.__data = data;
  const font = data.font, dpr = window.devicePixelRatio || 1, half = data.square / 2;
  const cols = data.columns, C = cols.length;
  const most = Math.max(...cols.map(c => c.ys.length));
  const lines = Math.max(...cols.map(c => c.caption.length));
  const below = data.values ? font * 1.3 : 0;
  let geometry = null;
  const largest = Math.max(0, ...data.edges.map(e => Math.abs(e[3])));
  const draw = (sprite) => {
    const width = Math.max(200, root.clientWidth || 400), height = data.height;
    const g = canvas.getContext("2d");
    g.font = `${font}px "Source Sans Pro", "Source Sans 3", sans-serif`;
    const labelPx = Math.max(0, ...data.labels.map(l => g.measureText(l).width)) + 8;
    const capPx = lines * font * 1.3 + 6;
    const spanX = cols[C - 1].x + data.square + 0.5, spanY = (most - 1) * data.pitch + data.square;
    const scale = Math.min((width - labelPx - 10) / spanX, (height - capPx - below - 10) / spanY);
    const used = labelPx + spanX * scale + 10;
    const ox = Math.max(0, (width - used) / 2) + labelPx + half * scale, oy = capPx + 4 + spanY * scale / 2;
    const X = x => ox + x * scale, Y = y => oy - y * scale;
    geometry = { X, Y, scale };
    root.dataset.geometry = JSON.stringify({ ox, oy, scale });  // where diagram units fall on the canvas
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);  // (a canvas's new size resets its context: the font too)
    g.font = `${font}px "Source Sans Pro", "Source Sans 3", sans-serif`;
    g.clearRect(0, 0, width, height);
    const [thin, thick] = data.edge;
    const edges = [...data.edges].sort((a, b) => Math.abs(a[3]) - Math.abs(b[3]));  // thick lines on top
    for (const [k, i, j, w] of edges) {
      if (!largest || w === 0) continue;
      const level = Math.round(Math.abs(w) / largest * 4) / 4;
      g.strokeStyle = w > 0 ? data.colours.positive : data.colours.negative;
      g.lineWidth = thin + (thick - thin) * level;
      g.beginPath();
      g.moveTo(X(cols[k].x + half), Y(cols[k].ys[i]));
      g.lineTo(X(cols[k + 1].x - half), Y(cols[k + 1].ys[j]));
      g.stroke();
    }
    g.imageSmoothingEnabled = true;  // smoothed, as TensorFlow Playground scales its 100 x 100 canvas
    let n = 0;
    g.strokeStyle = data.colours.ink; g.lineWidth = Math.max(1, data.line / 2.5);
    for (const col of cols) {
      for (const y of col.ys) {
        const x0 = X(col.x - half), y0 = Y(y + half), s = data.square * scale;
        if (sprite) g.drawImage(sprite, n * data.side, 0, data.side, data.side, x0, y0, s, s);
        g.strokeRect(x0, y0, s, s);
        n++;
      }
    }
    g.fillStyle = data.colours.ink; g.textAlign = "center"; g.textBaseline = "bottom";
    const top = Y(Math.max(...cols.map(c => c.ys[0] ?? 0)) + half) - 4;
    cols.forEach(col => col.caption.forEach((line, r) =>
      g.fillText(line, X(col.x), top - (col.caption.length - 1 - r) * font * 1.3)));
    g.textAlign = "right"; g.textBaseline = "middle";
    data.labels.forEach((label, i) => g.fillText(label, X(cols[0].x - half) - 6, Y(cols[0].ys[i])));
    if (data.values) {
      g.textAlign = "center"; g.textBaseline = "top"; g.font = `${Math.max(9, font - 2)}px "Source Sans Pro", "Source Sans 3", sans-serif`;
      data.values.forEach((vals, c) => vals.forEach((v, i) => g.fillText(v, X(cols[c].x), Y(cols[c].ys[i] - half) + 2)));
    }
    if (sprite) root.dataset.drawn = String((+root.dataset.drawn || 0) + 1);  // for the benchmark: painted now
  };
  const find = (event) => {
    if (!geometry) return null;
    const rect = canvas.getBoundingClientRect(), px = event.clientX - rect.left, py = event.clientY - rect.top;
    const { X, Y, scale } = geometry;
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < cols[c].ys.length; j++) {
        const x0 = X(cols[c].x - half), y0 = Y(cols[c].ys[j] + half), s = data.square * scale;
        if (px >= x0 && px <= x0 + s && py >= y0 && py <= y0 + s) {
          if (c === 0) return { text: cols[0].names[j] };
          const b = data.biases.find(b => b[0] === c - 1 && b[1] === j);
          return { pick: [c - 1, null, j], text: `bias of ${cols[c].names[j]}` + (b ? ` = ${b[2].toPrecision(3)}` : "") };
        }
      }
    }
    let best = null, bestD = 6;
    for (const [k, i, j, w] of data.edges) {
      const ax = X(cols[k].x + half), ay = Y(cols[k].ys[i]), bx = X(cols[k + 1].x - half), by = Y(cols[k + 1].ys[j]);
      const dx = bx - ax, dy = by - ay, t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
      const d = Math.hypot(px - ax - t * dx, py - ay - t * dy);
      if (d < bestD) { bestD = d; best = { pick: [k, i, j], text: `weight ${cols[k].names[i]} → ${cols[k + 1].names[j]} = ${w.toPrecision(3)}` }; }
    }
    return best;
  };
  canvas.onmousemove = (event) => {
    const found = find(event);
    const d = root.__data;
    canvas.style.cursor = found && found.pick && d.editable ? "pointer" : "default";
    if (!found) { tip.style.display = "none"; return; }
    showTip(tip, root, event, found.text + (found.pick && d.editable ? " (click to edit)" : ""), font);
  };
  canvas.onmouseleave = () => { tip.style.display = "none"; };
  canvas.onclick = (event) => {
    const found = root.__data.editable ? find(event) : null;
    if (found && found.pick) setTriggerValue("pick", found.pick);
  };
  const image = new Image();
  image.onload = () => { shown = image; if (root.__data === data) draw(image); };
  image.src = data.sprite;
  draw(shown);
  redrawOnResize(root, () => draw(shown));
}
"""

CANVAS = Canvas("dlviz_diagram", html=HTML, css=CSS, js=JS, events=("pick",))


def diagram(where, view: dict, *, key: str) -> None:
    """Draw the diagram ``view`` in ``where``; on an editable one a click on an edge or a node reruns the page
    and ``diagram_pick(key)`` then tells which weight or bias it picked."""
    CANVAS.mount(where, view, key=key)


def diagram_pick(key: str) -> tuple[int, int | None, int] | None:
    """The weight (layer, i, j) or bias (layer, None, j) the click on the diagram drawn with ``key`` picked,
    once; None when it was not clicked."""
    return Canvas.taken(key, "pick", lambda v: (int(v[0]), None if v[1] is None else int(v[1]), int(v[2])))
