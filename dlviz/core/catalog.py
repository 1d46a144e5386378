"""The dashboard's pages, grouped by topic: the navigation and the home page read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # script, relative to the repository root
    title: str
    icon: str
    teaches: str  # two lines for the home page
    settings: str = ""  # "module:Class" of the page's settings dataclass, for tools that read every page
    name: str = ""  # the settings' key in the session (the page's NAME)
    prefix: str = ""  # its widgets' keys start with "prefix."
    work: tuple[str, ...] = ()  # session keys holding what a participant made there (runs, trained networks)

    def settings_class(self) -> type | None:
        if not self.settings:
            return None
        import importlib

        module, name = self.settings.split(":")
        return getattr(importlib.import_module(module), name)


HOME = PageInfo("pages/home.py", "Home", ":material/home:", "")
CLASS = PageInfo(
    "pages/class.py",
    "Class",
    ":material/groups:",
    "Join the room on the projector with its code: follow the instructor, send your drawings and networks to "
    "the wall, answer polls and take on challenges. Instructors start a room here.",
)

TOPICS: dict[str, list[PageInfo]] = {
    "Foundations": [
        PageInfo(
            "pages/building_blocks.py",
            "Building blocks",
            ":material/widgets:",
            "Turn the knobs of a single neuron, compare activation functions and their gradients, build logic "
            "gates up to XOR, and see softmax and the losses at work.",
            settings="dlviz.blocks.engine:BlocksSettings",
            name="blocks",
            prefix="bb",
        ),
        PageInfo(
            "pages/gradient_descent.py",
            "Gradient descent",
            ":material/trending_down:",
            "Roll a ball down a curve one learning-rate step at a time: too small crawls, just right lands, "
            "too large overshoots and diverges. Race momentum, RMSprop and Adam; watch one neuron fit a line.",
            settings="dlviz.descent.engine:DescentSettings",
            name="descent",
            prefix="gd",
            work=("gd.fit.run",),
        ),
    ],
    "Networks": [
        PageInfo(
            "pages/playground.py",
            "Playground",
            ":material/hub:",
            "Build a network layer by layer and watch it learn XOR, circles, spirals, Gaussians and moons. "
            "Change neurons, activations and the learning rate, and see the decision boundary form.",
            settings="dlviz.playground.engine:PlaygroundSettings",
            name="playground",
            prefix="pg",
            work=("pg.run",),
        ),
        PageInfo(
            "pages/overfitting.py",
            "Overfitting & dropout",
            ":material/ssid_chart:",
            "Watch a big network memorize noise while its validation loss climbs, then tame a copy of it with "
            "dropout, L2, batch normalization and early stopping, side by side.",
            settings="dlviz.overfitting.engine:OverfittingSettings",
            name="overfitting",
            prefix="of",
            work=("of.run",),
        ),
    ],
    "Real data": [
        PageInfo(
            "pages/datalab.py",
            "Data lab",
            ":material/table_chart:",
            "Train a Keras network on real tables (wine, breast cancer, diabetes, iris...) or your own CSV: "
            "scaling, the right output and loss, validation and K-fold, a confusion matrix, save and load.",
            settings="dlviz.datalab.engine:DataLabSettings",
            name="datalab",
            prefix="dl",
            work=("dl.run",),
        ),
    ],
    "Vision": [
        PageInfo(
            "pages/convolution.py",
            "Convolution",
            ":material/filter:",
            "Slide blur, sharpen, edge and Sobel filters over real photos and your own, see stride, padding and "
            "pooling at work, and follow a kernel's walk over a small grid of numbers.",
            settings="dlviz.convolution.engine:ConvolutionSettings",
            name="convolution",
            prefix="cv",
        ),
        PageInfo(
            "pages/digits.py",
            "Digits",
            ":material/draw:",
            "Draw a digit and watch a convolutional network read it as you draw. See how a drawing is "
            "prepared the MNIST way, what each convolution detects, and train a network of your own.",
            settings="dlviz.digits.engine:DigitsSettings",
            name="digits",
            prefix="dg",
            work=("dg.own",),
        ),
    ],
}


def every_page() -> list[PageInfo]:
    """Home and Class first, then every topic's pages in navigation order."""
    return [HOME, CLASS, *(page for pages in TOPICS.values() for page in pages)]


def by_path(path: object) -> PageInfo | None:
    """The page whose script is ``path`` ("pages/playground.py"), or None for anything else."""
    return next((p for p in every_page() if p.path == path), None)
