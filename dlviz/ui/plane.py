"""The Playground's input plane on a canvas (a Streamlit components-v2 component): the boundary picture,
the points, the axes, the legend and the colour bar, drawn from ``dlviz.core.plane.plane_view``'s data.

A click on a clickable plane reruns the page with where it fell (``plane_click``), as a trigger value of
the component: it is there for the one rerun the click causes. Hovering shows the coordinates.
"""

from __future__ import annotations

from dlviz.ui.canvas import Canvas

HTML = '<div class="dlviz-plane"><div class="legend"></div><canvas class="plot"></canvas><div class="tip"></div>' \
       '<canvas class="bar"></canvas></div>'  # fmt: skip

CSS = """
.dlviz-plane { position: relative; width: 100%; font-family: "Source Sans Pro", "Source Sans 3", sans-serif; }
.dlviz-plane .legend { display: flex; justify-content: center; gap: 1.2em; min-height: 1.5em; align-items: center; }
.dlviz-plane .legend span { display: inline-flex; align-items: center; gap: 0.35em; }
.dlviz-plane .legend i { display: inline-block; border-radius: 50%; box-sizing: border-box; }
.dlviz-plane canvas { display: block; margin: 0 auto; }
.dlviz-plane .tip { position: absolute; pointer-events: none; display: none; background: rgba(255,255,255,0.92);
                    border: 1px solid #BDBDBD; border-radius: 3px; padding: 1px 5px; white-space: nowrap; }
"""

JS = """
// The last boundary picture drawn, kept across mounts: while the page plays, each frame is a new element
// (its key counts the frames), and it draws the previous picture until its own has decoded.
let shown = null;

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement.querySelector(".dlviz-plane");
  const plot = root.querySelector(".plot"), bar = root.querySelector(".bar");
  const legend = root.querySelector(".legend"), tip = root.querySelector(".tip");
  root.__data = data;
  const font = data.font, pad = Math.round(font * 2.6), dpr = window.devicePixelRatio || 1;
  root.style.fontSize = font + "px";
  tip.style.fontSize = font + "px";
  legend.innerHTML = "";
  for (const [name, role] of data.legend) {
    const item = document.createElement("span"), dot = document.createElement("i");
    const d = data.marker + 2;
    dot.style.width = dot.style.height = d + "px";
    if (data.regression) {
      dot.style.background = data.grey;
      if (role === 1) { dot.style.borderRadius = "0"; dot.style.transform = "rotate(45deg) scale(0.8)"; }
    } else if (role === 0) { dot.style.background = data.grey; }
    else { dot.style.border = Math.max(1.5, data.marker / 4) + "px solid " + data.grey; dot.style.background = "white"; }
    item.append(dot, document.createTextNode(name));
    legend.append(item);
  }
  const mix = (hex, a) => {
    const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)).map(v => Math.round(255 + (v - 255) * a));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  };
  const [lo, hi] = data.extent;
  let box = null;
  const draw = (img) => {
    const width = Math.max(160, root.clientWidth || 300);
    const side = Math.max(100, Math.min(width - pad - 12, Math.round(font * 30)));
    const cw = side + pad + 12, ch = side + pad + 6;
    plot.style.width = cw + "px"; plot.style.height = ch + "px";
    plot.width = Math.round(cw * dpr); plot.height = Math.round(ch * dpr);
    const g = plot.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cw, ch);
    const left = pad, top = 6;
    box = { left, top, side };
    g.imageSmoothingEnabled = true;  // smoothed, as TensorFlow Playground scales its 100 x 100 canvas
    if (img) g.drawImage(img, left, top, side, side);
    const px = x => left + (x - lo) / (hi - lo) * side, py = y => top + (hi - y) / (hi - lo) * side;
    const r = data.marker / 2, edge = Math.max(0.75, data.marker / 8);
    const pts = data.points;
    for (let i = 0; i < pts.length; i += 4) {  // x1 and x2 in data.scale-ths, the colour's index, the role
      const cx = px(pts[i] / data.scale), cy = py(pts[i + 1] / data.scale);
      const colour = data.palette[pts[i + 2]], role = pts[i + 3];
      g.beginPath();
      if (data.regression && role === 1) {
        g.moveTo(cx, cy - r * 1.3); g.lineTo(cx + r * 1.3, cy); g.lineTo(cx, cy + r * 1.3); g.lineTo(cx - r * 1.3, cy);
        g.closePath();
      } else { g.arc(cx, cy, role === 1 ? r * 0.85 : r, 0, 2 * Math.PI); }
      if (data.regression) { g.fillStyle = colour; g.fill(); g.lineWidth = edge; g.strokeStyle = data.ink; g.stroke(); }
      else if (role === 0) { g.fillStyle = colour; g.fill(); g.lineWidth = edge; g.strokeStyle = "white"; g.stroke(); }
      else { g.fillStyle = "white"; g.fill(); g.lineWidth = Math.max(1.5, data.marker / 4); g.strokeStyle = colour; g.stroke(); }
    }
    g.strokeStyle = "#BDBDBD"; g.lineWidth = 1; g.strokeRect(left + 0.5, top + 0.5, side - 1, side - 1);
    g.fillStyle = data.ink; g.font = `${font}px "Source Sans Pro", "Source Sans 3", sans-serif`;
    const step = (hi - lo) / 6;
    g.textAlign = "center"; g.textBaseline = "top";
    for (let t = lo; t <= hi + 1e-9; t += step) g.fillText(String(Math.round(t)), px(t), top + side + 3);
    g.textAlign = "right"; g.textBaseline = "middle";
    for (let t = lo; t <= hi + 1e-9; t += step) g.fillText(String(Math.round(t)), left - 4, py(t));
    g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText("x₁", left + side / 2, ch);
    g.save(); g.translate(font * 0.7, top + side / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle";
    g.fillText("x₂", 0, 0); g.restore();
    // the colour bar under the plane
    const bh = Math.round(font * 0.9), bw = Math.round(side * 0.8), bch = bh + font * 2.6;
    bar.style.width = cw + "px"; bar.style.height = bch + "px";
    bar.width = Math.round(cw * dpr); bar.height = Math.round(bch * dpr);
    const b = bar.getContext("2d");
    b.setTransform(dpr, 0, 0, dpr, 0, 0);
    const x0 = left + (side - bw) / 2;
    const grad = b.createLinearGradient(x0, 0, x0 + bw, 0);
    for (const [s, c] of data.bar.stops) grad.addColorStop(s, mix(c, data.bar.opacity));
    b.fillStyle = grad; b.fillRect(x0, 2, bw, bh);
    b.strokeStyle = "#BDBDBD"; b.strokeRect(x0 + 0.5, 2.5, bw - 1, bh - 1);
    b.fillStyle = data.ink; b.font = `${Math.round(font * 0.9)}px "Source Sans Pro", "Source Sans 3", sans-serif`; b.textAlign = "center"; b.textBaseline = "top";
    for (const [at, label] of data.bar.ticks) b.fillText(label, x0 + at * bw, bh + 5);
    b.font = `${font}px "Source Sans Pro", "Source Sans 3", sans-serif`; b.fillText(data.bar.title, left + side / 2, bh + 5 + font * 1.1);
    if (img) root.dataset.drawn = String((+root.dataset.drawn || 0) + 1);  // for the benchmark: painted now
  };
  const at = (event) => {
    if (!box) return null;
    const rect = plot.getBoundingClientRect();
    const x = event.clientX - rect.left - box.left, y = event.clientY - rect.top - box.top;
    if (x < 0 || y < 0 || x > box.side || y > box.side) return null;
    return [lo + x / box.side * (hi - lo), hi - y / box.side * (hi - lo)];
  };
  plot.style.cursor = data.clickable ? "crosshair" : "default";
  plot.onclick = (event) => {
    const point = root.__data.clickable ? at(event) : null;
    if (point) setTriggerValue("click", point.map(v => Math.round(v * 1000) / 1000));
  };
  plot.onmousemove = (event) => {
    const point = at(event);
    if (!point) { tip.style.display = "none"; return; }
    showTip(tip, root, event, `x₁ ${point[0].toFixed(2)}, x₂ ${point[1].toFixed(2)}`, font);
  };
  plot.onmouseleave = () => { tip.style.display = "none"; };
  const image = new Image();
  image.onload = () => { shown = image; if (root.__data === data) draw(image); };
  image.src = data.image;
  draw(shown);  // the previous picture until the new one has decoded: no blank frame
  redrawOnResize(root, () => draw(shown));
}
"""

CANVAS = Canvas("dlviz_plane", html=HTML, css=CSS, js=JS, events=("click",))


def plane(where, view: dict, *, key: str) -> None:
    """Draw the plane ``view`` (``dlviz.core.plane.plane_view``) in ``where``; a click on a clickable one
    reruns the page, and ``plane_click(key)`` then tells where it fell."""
    CANVAS.mount(where, view, key=key)


def plane_click(key: str) -> tuple[float, float] | None:
    """Where the click on the plane drawn with ``key`` fell, once; None when it was not clicked."""
    return Canvas.taken(key, "click", lambda v: (float(v[0]), float(v[1])))
