import sys

from kgitops.cli import main

sys.exit(main())
