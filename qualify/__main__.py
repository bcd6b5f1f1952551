import sys

from qualify.app.cli import main

sys.exit(main(sys.argv[1:]))
