"""`python -m ledgerdesk` runs the same command line as `ledgerdesk`."""

import sys

from ledgerdesk.cli import main

sys.exit(main())
