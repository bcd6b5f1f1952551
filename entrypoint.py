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
        from qualify.app.cli import main as cli_main

        return cli_main(sys.argv[1:])
    try:
        from qualify.app.action import run_action

        return run_action(os.environ)
    except Exception as exc:  # the last line of defence: exit 2 with one line, never a traceback
        if os.environ.get("QUALIFY_DEBUG") == "1":
            raise
        from qualify.render import workflow_commands as workflow

        hide = [os.environ.get("INPUT_TOKEN", ""), os.environ.get("GITHUB_TOKEN", "")]
        reason = workflow.redact(workflow.internal_error(exc), hide)
        print(workflow.command("error", f"qualify could not evaluate: {reason}", title="qualify internal-error"))
        sys.stderr.write(workflow.error_line(reason, hide))
        return 2


if __name__ == "__main__":
    sys.exit(main())
