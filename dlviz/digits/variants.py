"""Handwriting that MNIST under-represents, drawn as the Digits canvas draws it.

MNIST's ones are mostly bare strokes, its sevens mostly uncrossed, its fours mostly open at the top: a 1 with
a flag, as much of Europe writes it, was read as a 9 by the first shipped network. This module draws those
variants as a participant would on the 280 px canvas (round-capped strokes of a pen 6-40 px wide, at any size
and place, tilted, wobbly, sometimes with a speck), then prepares them as the page does
(:func:`dlviz.digits.engine.preprocess`). The same seed always gives the same drawings.

    python -m dlviz.digits.variants           # writes assets/data/digit_variants.npz (the shipped test set)

The test set (seed 0) ships; training draws its own with other seeds (``dlviz.tools.train``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# dlviz.digits.engine imports this module (its settings name the variants): nothing of it is imported here
# until a drawing is prepared.
VARIANTS_PATH = Path(__file__).resolve().parents[2] / "assets" / "data" / "digit_variants.npz"
SIDE = 280  # engine.CANVAS_SIDE, the drawing square
SUPERSAMPLE = 2  # strokes are drawn at twice the size and shrunk, anti-aliased as the browser's canvas is
PER_VARIANT = 60
TEST_SEED = 0
# The shipped network's training (dlviz.tools.train): MNIST's 60,000 and this many drawings of each variant,
# made with other seeds than the test set's. MNIST has almost no 1 with a flag and many 7s it resembles, so
# that variant gets three times as many: 9,000 drawings in all.
TRAINING_PER_VARIANT = 1000
TRAINING_TIMES = {"one_flag": 3}

Point = tuple[float, float]
Stroke = tuple[list[Point], bool]  # control points in a unit box (x right, y down), and whether it is a curve


@dataclass(frozen=True)
class Variant:
    key: str
    digit: int
    name: str
    aspect: float  # the box's width over its height
    strokes: Callable[[np.random.Generator], list[Stroke]]


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 10) -> list[Point]:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, 0 = right, counter-clockwise on screen)."""
    return [(cx + rx * math.cos(math.radians(a)), cy - ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]  # fmt: skip


def _one_flag(rng) -> list[Stroke]:
    """Up a short flag to the top, then down: straight or hooked, at 30-65 degrees below the horizontal and up
    to a third of the height long. A longer, flatter one is a 7's bar: people tell the two apart by exactly that
    (and many who write the flag cross their 7s)."""
    length, angle = _u(rng, 0.15, 0.33), math.radians(_u(rng, 30, 65))  # as shares of the height
    flag, drop = length * math.cos(angle) / 0.4, length * math.sin(angle)  # the box is 0.4 as wide as high
    start, top, bottom = (0.7 - flag, drop), (0.7, 0.0), (0.7 + _u(rng, -0.08, 0.08), 1.0)
    if rng.random() < 0.35:  # a hooked flag, bowed upwards
        bend = (0.7 - flag * 0.5, drop * 0.2 - _u(rng, 0.0, 0.08))
        return [([start, bend, top, (top[0] + (bottom[0] - top[0]) * 0.3, 0.3), bottom], True)]
    return [([start, top, bottom], False)]


def _one_flag_base(rng) -> list[Stroke]:
    half = _u(rng, 0.3, 0.5)
    return [*_one_flag(rng), ([(0.65 - half, 1.0), (0.7 + half, 1.0 + _u(rng, -0.03, 0.03))], False)]


def _seven_crossed(rng) -> list[Stroke]:
    bottom = (_u(rng, 0.25, 0.5), 1.0)
    corner = (0.95, _u(rng, -0.02, 0.04))
    top = [(0.05, _u(rng, 0.0, 0.05)), corner, bottom]
    if rng.random() < 0.4:  # a small tick down at the start of the top bar
        top.insert(0, (0.05, _u(rng, 0.15, 0.25)))
    at = _u(rng, 0.45, 0.6)
    mid = (corner[0] + (bottom[0] - corner[0]) * at, corner[1] + (bottom[1] - corner[1]) * at)
    half = _u(rng, 0.22, 0.35)
    return [(top, False), ([(mid[0] - half, mid[1]), (mid[0] + half, mid[1] + _u(rng, -0.04, 0.04))], False)]


def _four_open(rng) -> list[Stroke]:
    """The left arm and the stem do not meet at the top."""
    bar = _u(rng, 0.5, 0.65)
    stem = _u(rng, 0.6, 0.75)
    arm = [(_u(rng, 0.1, 0.3), 0.0), (_u(rng, 0.0, 0.08), bar), (1.0, bar + _u(rng, -0.04, 0.02))]
    return [(arm, False), ([(stem, _u(rng, 0.0, 0.15)), (stem + _u(rng, -0.05, 0.05), 1.0)], False)]


def _four_closed(rng) -> list[Stroke]:
    """The printed 4: up the stem, down the diagonal, across."""
    stem = _u(rng, 0.6, 0.72)
    bar = _u(rng, 0.6, 0.72)
    return [([(stem, 1.0), (stem, 0.0), (0.0, bar), (1.0, bar + _u(rng, -0.03, 0.03))], False)]


def _nine_straight(rng) -> list[Stroke]:
    """A round head and a straight stem down from its right side."""
    ry = _u(rng, 0.25, 0.33)
    cx, rx = 0.5, 0.42
    head = _arc(cx, ry, rx, ry, _u(rng, -10, 20), 370, 14)
    right = (cx + rx, ry)
    return [(head, True), ([right, (right[0] + _u(rng, -0.1, 0.02), 1.0)], False)]


def _two_loop(rng) -> list[Stroke]:
    """A 2 whose foot turns a small loop before the base."""
    loop = _u(rng, 0.13, 0.2)
    pts = [(0.1, 0.3), (0.35, 0.03), (0.72, 0.05), (0.88, 0.3), (0.65, 0.58), (0.3, 0.85),
           (0.3 - loop, 0.95), (0.3 - loop * 1.4, 0.85 - loop), (0.3, 0.86), (0.6, 0.97),
           (_u(rng, 0.85, 1.0), 0.95)]  # fmt: skip
    return [(pts, True)]


VARIANTS: dict[str, Variant] = {
    v.key: v
    for v in (
        Variant("one_flag", 1, "1 with a flag", 0.4, _one_flag),
        Variant("one_flag_base", 1, "1 with a flag and a base", 0.55, _one_flag_base),
        Variant("seven_crossed", 7, "crossed 7", 0.75, _seven_crossed),
        Variant("four_open", 4, "open-top 4", 0.8, _four_open),
        Variant("four_closed", 4, "closed 4", 0.8, _four_closed),
        Variant("nine_straight", 9, "9 with a straight stem", 0.6, _nine_straight),
        Variant("two_loop", 2, "2 with a loop", 0.8, _two_loop),
    )
}


# The first shipped network (trained on MNIST alone, 99.63% on its test images) on the shipped test set: the
# Digits page shows these beside the shipped network's own figures. Measured 2026-12-04 (docs/benchmarks.md).
FIRST_NETWORK = {"one_flag": 50 / 60, "one_flag_base": 1.0, "seven_crossed": 1.0, "four_open": 1.0,
                 "four_closed": 1.0, "nine_straight": 1.0, "two_loop": 1.0}  # fmt: skip


def _catmull_rom(points: list[Point], per: int = 8) -> list[Point]:
    """A smooth curve through the points (what a hand does between them)."""
    p = [points[0], *points, points[-1]]
    out: list[Point] = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = (np.asarray(q) for q in p[i - 1 : i + 3])
        for t in np.linspace(0, 1, per, endpoint=False):
            out.append(tuple(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
                                    + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)))  # fmt: skip
    out.append(points[-1])
    return out


def pen(rng: np.random.Generator) -> int:
    """A pen width on the 280 px canvas, as the page's slider allows (6-40), most near its default of 18."""
    return int(np.clip(round(rng.normal(17, 7)), 6, 40))


def draw(variant: Variant, rng: np.random.Generator) -> np.ndarray:
    """One drawing as the canvas returns it: a 280 x 280 RGBA array, white strokes on transparent black."""
    width = pen(rng)
    height = _u(rng, 0.3, 0.85) * SIDE
    box_w = height * variant.aspect * _u(rng, 0.8, 1.2)
    tilt = math.radians(_u(rng, -15, 15))
    slant = _u(rng, -0.25, 0.15)  # x shifts with height: many hands lean right
    wobble = 0.025
    strokes = []
    for points, curve in variant.strokes(rng):
        points = [(x + rng.normal(0, wobble), y + rng.normal(0, wobble)) for x, y in points]
        path = _catmull_rom(points) if curve else points
        xy = []
        for x, y in path:
            x, y = (x - 0.5 + slant * (0.5 - y)) * box_w, (y - 0.5) * height
            xy.append((x * math.cos(tilt) - y * math.sin(tilt), x * math.sin(tilt) + y * math.cos(tilt)))
        strokes.append(xy)
    pts = np.array([p for s in strokes for p in s])
    margin = width / 2 + 1
    low, high = pts.min(axis=0), pts.max(axis=0)
    spare = np.maximum(SIDE - 2 * margin - (high - low), 0)
    offset = margin - low + rng.uniform(0, 1, 2) * spare  # anywhere, also against an edge
    k = SUPERSAMPLE
    image = Image.new("L", (SIDE * k, SIDE * k), 0)
    pen_draw = ImageDraw.Draw(image)
    for s in strokes:
        line = [((x + offset[0]) * k, (y + offset[1]) * k) for x, y in s]
        pen_draw.line(line, fill=255, width=width * k, joint="curve")
        for x, y in (line[0], line[-1]):  # the canvas's round caps
            r = width * k / 2
            pen_draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    if rng.random() < 0.15:  # a speck: the pen touched the screen by mistake
        x, y = rng.uniform(0.05, 0.95, 2) * SIDE * k
        r = width * k * _u(rng, 0.3, 0.5)
        pen_draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    alpha = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BOX))
    rgba = np.zeros((SIDE, SIDE, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = alpha
    return rgba


def make(per_variant: int | dict[str, int] = PER_VARIANT, seed: int = TEST_SEED, keys=None) -> dict[str, np.ndarray]:
    """``per_variant`` drawings of each variant (or so many of each key), prepared as the page prepares a drawing.

    Returns ``x`` (n, 28, 28) uint8 in MNIST's layout, ``y`` the digits and ``variant`` each one's index
    in ``names`` (the variants' keys)."""
    from dlviz.digits import engine

    keys = list(keys or (per_variant if isinstance(per_variant, dict) else VARIANTS))
    xs, ys, kinds = [], [], []
    counts = per_variant if isinstance(per_variant, dict) else dict.fromkeys(keys, per_variant)
    for position, key in enumerate(keys):
        variant, index = VARIANTS[key], list(VARIANTS).index(key)
        rng = np.random.default_rng([seed, index])  # each variant its own stream: a longer run only adds to it
        made = 0
        while made < counts[key]:
            image = engine.preprocess(draw(variant, rng))
            if image is None:
                continue
            xs.append(np.round(image * 255).astype(np.uint8))
            ys.append(variant.digit)
            kinds.append(position)
            made += 1
    return {"x": np.stack(xs), "y": np.array(ys, np.uint8), "variant": np.array(kinds, np.uint8),
            "names": np.array(keys)}  # fmt: skip


def training_count(per_variant: int = TRAINING_PER_VARIANT) -> int:
    return sum(per_variant * TRAINING_TIMES.get(key, 1) for key in VARIANTS)


def load(path: Path = VARIANTS_PATH) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def accuracy_by_variant(data: dict[str, np.ndarray], probabilities: np.ndarray) -> dict[str, float]:
    read = probabilities.argmax(axis=1)
    return {str(name): float(np.mean(read[data["variant"] == i] == data["y"][data["variant"] == i]))
            for i, name in enumerate(data["names"])}  # fmt: skip


def shown(data: dict[str, np.ndarray], read: np.ndarray, key: str, seed: int, most: int = 12):
    """One variant's drawings for the page: all of them, those read wrong, and up to ``most`` to show (its
    misses first, up to half, then others in an order drawn from ``seed``)."""
    mine = np.flatnonzero(data["variant"] == [str(n) for n in data["names"]].index(key))
    wrong = mine[read[mine] != data["y"][mine]]
    rest = np.random.default_rng(seed).permutation(np.setdiff1d(mine, wrong))
    return mine, wrong, np.concatenate([wrong[: most // 2], rest])[:most]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlviz.digits.variants", description=__doc__.splitlines()[0])
    parser.add_argument("--per-variant", type=int, default=PER_VARIANT)
    parser.add_argument("--seed", type=int, default=TEST_SEED)
    parser.add_argument("--out", type=Path, default=VARIANTS_PATH)
    args = parser.parse_args(argv)
    from dlviz.digits import engine

    data = make(args.per_variant, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **data)
    print(f"saved {args.out}: {len(data['y'])} drawings ({args.out.stat().st_size / 1024:.0f} KB)")
    probs = engine.default_classifier().probabilities(data["x"] / 255.0)
    for name, acc in accuracy_by_variant(data, probs).items():
        print(f"  {VARIANTS[name].name}: {acc:.1%} read right")


if __name__ == "__main__":
    main()
