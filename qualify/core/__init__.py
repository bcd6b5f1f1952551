"""The pure core: the data model, matching declared titles to testcases, the release rules."""
