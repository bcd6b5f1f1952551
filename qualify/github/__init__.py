"""The GitHub side (I/O): REST client, run context, labels, artifacts, publishing."""
