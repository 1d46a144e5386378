"""``python -m dlviz.train``: train the shipped models (``dlviz.tools.train``)."""

import sys

from dlviz.tools.train import main

if __name__ == "__main__":
    sys.exit(main())
