"""``python -m eeg_ssl``: the same command as ``eeg-ssl``."""

import sys

from eeg_ssl.cli import main

sys.exit(main())
