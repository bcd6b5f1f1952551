"""The thin application shell: options, the command line, the Action protocol, `init`."""
