import sys

from reflib.cli.main import main

sys.exit(main())
