"""Redaction: the token, and anything shaped like a GitHub token, never reach an output.

One function for every output: the log, the job summary, the pull-request comment, the check run,
the JSON report, the annotations and the GitHub API's error messages. A secret is masked in each
form those outputs may carry it in: as is, URL-encoded (a request URL in an error message) and
JSON-escaped (the JSON report). Formats that escape more than that (Markdown, workflow commands)
redact the raw text before escaping it: see render/markdown.py and render/annotations.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote

REDACTED = "***"
# Shorter values are not masked: a one-letter "secret" would mask every occurrence of that letter.
MIN_SECRET_CHARS = 4
# Shapes of GitHub tokens (classic, fine-grained, app, OAuth, refresh): never echoed, whoever wrote them.
# Same as r"\b(?:gh[pousr]_...|github_pat_...)", written to start with the literal `g` so that re scans
# for that one character instead of trying \b at every position: 40x faster over a 10 MB JSON report.
# `(?<!\wg)` after the `g` is the \b before it (`g` is a word character).
TOKEN_SHAPE = re.compile(r"g(?<!\wg)(?:h[pousr]_[A-Za-z0-9]{20,}|ithub_pat_[A-Za-z0-9_]{20,})")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with each secret (in every form above) and anything token-shaped replaced by ***."""
    return redactor(secrets)(text)


def redactor(secrets: Iterable[str | None] = ()) -> Callable[[str], str]:
    """redact(…, secrets) as a function of the text alone, the secrets' forms worked out once: for
    renderers that redact each piece of untrusted text before escaping it."""
    if isinstance(secrets, str):  # one secret, not its letters (each too short to be masked)
        secrets = (secrets,)
    forms = tuple(
        dict.fromkeys(
            form
            for value in secrets
            if value and len(value) >= MIN_SECRET_CHARS
            # as is, URL-encoded, JSON-escaped (most values look the same in all three)
            for form in (value, quote(value, safe=""), json.dumps(value, ensure_ascii=False)[1:-1])
        )
    )
    shape = TOKEN_SHAPE.sub

    def apply(text: str) -> str:
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return shape(REDACTED, text) if "_" in text else text  # every token shape has one

    return apply
