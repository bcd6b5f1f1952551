import sys

from qualify.cli import main

sys.exit(main(sys.argv[1:]))
