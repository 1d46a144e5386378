"""``python -m dlviz.loadtest``: the workshop load generator (``dlviz.tools.loadtest``)."""

import sys

from dlviz.tools.loadtest import main

if __name__ == "__main__":
    sys.exit(main())
