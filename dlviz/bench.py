"""``python -m dlviz.bench``: benchmarks (``dlviz.tools.bench``)."""

import sys

from dlviz.tools.bench import main

if __name__ == "__main__":
    sys.exit(main())
