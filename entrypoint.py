#!/usr/bin/env python3
"""Entry point of the Docker action and of `python entrypoint.py ARGS` on the command line.

With no arguments it speaks the Actions runner's protocol (INPUT_* variables, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY); with arguments it is the `qualify` command line.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    if len(sys.argv) > 1:
        from qualify.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from qualify.action import run_action

    try:
        return run_action(os.environ)
    except Exception as exc:
        if os.environ.get("QUALIFY_DEBUG") == "1":
            raise
        print(f"::error title=qualify::qualify internal error: {type(exc).__name__} (set QUALIFY_DEBUG=1)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
