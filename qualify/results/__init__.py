"""Reading test results: each format's streaming reader."""
