"""Run an exported Keras program the way a participant would paste it into a notebook, inside the test process.

A new ``python`` per program spent ~4 s importing TensorFlow; in-process the programs still get a fresh
namespace of their own, ``__name__ == "__main__"``, and their own printed output. What a separate process
would add is that a program cannot lean on the dashboard: a program that imports dlviz is refused here.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path


def run_program(source: str, folder: Path | None = None, **answers) -> str:
    """Run ``source`` as a script (optionally in ``folder``) and return what it printed.

    ``answers`` replace attributes before it runs, e.g. ``mnist_load_data=...`` for ``keras.datasets.mnist``.
    """
    assert not re.search(r"^\s*(from|import)\s+dlviz\b", source, re.M), "an exported program must not import dlviz"
    compile(source, "exported", "exec")  # a syntax error fails here, with its line
    out = io.StringIO()
    here = os.getcwd()
    with contextlib.ExitStack() as stack:
        if folder is not None:
            os.chdir(folder)
            stack.callback(os.chdir, here)
        if "mnist_load_data" in answers:
            from tensorflow import keras

            original = keras.datasets.mnist.load_data
            keras.datasets.mnist.load_data = answers["mnist_load_data"]
            stack.callback(setattr, keras.datasets.mnist, "load_data", original)
        stack.enter_context(contextlib.redirect_stdout(out))
        exec(compile(source, str(folder / "program.py") if folder else "program.py", "exec"), {"__name__": "__main__"})
    return out.getvalue()
