"""Every code qualify reports, in one registry: what it means, whether it blocks, and what to do.

README's problem tables are generated from here (scripts/readme_tables.py), and a test checks that
every code the package emits is registered. Three kinds:

- problem: a finding that blocks the release (exit 1) unless an `exception:` waives it;
- warning: a finding that never blocks;
- error: the check could not be evaluated at all (exit 2); the JSON report carries it as `error_code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["problem", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Code:
    name: str
    kind: Kind
    meaning: str
    fix: str = ""


REGISTRY: tuple[Code, ...] = (
    # problems: block the release
    Code("test-not-found", "problem", "a declared test is not in a job it lists",
         "compare the title/file with the test (the message names the closest titles); check the job ran that file"),
    Code("test-skipped", "problem", "it was only skipped there",
         "real-API job: set the real-API flag (e.g. `USE_REAL_APIS=1`) and key"),
    Code("test-failed", "problem", "a matching run failed", "fix the test or the defect"),
    Code("no-mock-coverage", "problem", "no declared test passed in the mock job",
         "declare a regression test with `jobs: [mock]`"),
    Code("no-real-api-coverage", "problem", "backend/proxy defect: nothing passed against the real API",
         "run a declared test in the real-API job"),
    Code("partner-scenario-not-covered", "problem",
         "partner defect: no `kind: scenario` test passed in the real-API job",
         "add an E2E/full-path test of the partner's flow"),
    Code("scenario-undocumented", "problem", "`partner` without `scenario`", "describe the partner's flow"),
    Code("tracking-invalid", "problem", "malformed block, or an issue declared twice",
         "fix the line named; `qualify lint`"),
    Code("tracking-missing", "problem", "a requested issue has no declaration, or nothing is declared",
         "add the TRACKING.md block / check `tracking`"),
    Code("exception-expired", "problem", "the exception's `expires` is past",
         "re-qualify, or renew with a new approval"),
    Code("real-job-ran-nothing", "problem", "every real-API testcase was skipped",
         "check that the job enabled the real API and had its key"),
    Code("no-results", "problem", "a job's files hold no testcases", "check the results glob and the job"),
    Code("evidence-missing", "problem",
         "a declared test passed in the real-API job, but no passing run carried all its `evidence`",
         "record the property / print the line from the real-API test; check the real-API results are that run's"),
    Code("labels-unreadable", "problem",
         "the issue's labels could not be read through the API (an `exception:` does not waive this)",
         'grant `issues: read`, check `token`; or set `token: ""` to rely on declarations only'),
    Code("partner-undocumented", "problem", "the issue carries a partner label but TRACKING.md declares no `partner`",
         "add `partner:` and `scenario:`"),
    Code("shard-missing", "problem",
         "sharded artifact results (`real-junit-*`) number fewer than `shards`, or than the results run's matrix "
         "jobs, or a shard job was cancelled or timed out",
         "re-run the failed shard jobs; set `shards: N` to the number of shard artifacts"),
    Code("stale-results", "problem", "artifact results come from a run that does not include the commit under test",
         "re-run the real-API workflow on this commit, or `allow-stale-results: true`"),
    Code("scenario-incomplete", "problem",
         "`scenario` lists steps, and no passing real-API run of a `kind: scenario` test has a trace showing them "
         "all in order; names the first step missing or out of place, the testcase and its file",
         "run the partner's whole flow in that test and record it ([docs/runners.md](docs/runners.md)); "
         "or fix the step's pattern"),
    # warnings: never block
    Code("exception-applied", "warning", "an approved, unexpired `exception:` let a missing coverage pass"),
    Code("flaky", "warning", "a declared test passed only after a retry"),
    Code("scenario-unverified", "warning",
         "a partner defect's `scenario` is a sentence, so any passing `kind: scenario` test counts: "
         "list the steps to let the gate check the flow"),
    Code("mock-drift", "warning",
         "a test passed in both jobs, and its mock and real-API traces show `events` in opposite orders "
         "(or some in one job only)"),
    Code("not-declared", "warning", "a TRACKING.md has no `qualify` block and is not checked"),
    Code("undeclared-test", "warning",
         "a test mentions the issue in its title but is not declared: declare it, or ignore the warning"),
    Code("label-mismatch", "warning",
         "the issue's labels and TRACKING.md's `area`/`partner` disagree (the stricter one applies)"),
    Code("labels-skipped", "warning", "no token: rules come from TRACKING.md only"),
    Code("publish-skipped", "warning",
         "the sticky comment or check run was not attempted (no token, not a pull request, no commit)"),
    Code("publish-failed", "warning",
         "the comment or check run could not be written (read-only token on fork PRs); the verdict is unchanged"),
    # errors: the check could not be evaluated (exit 2)
    Code("usage", "error", "bad arguments or inputs", "read the one-line message; `qualify check --help`"),
    Code("results-missing", "error", "a results glob matched no file",
         "check the path, and that the job's results were downloaded or written"),
    Code("results-unreadable", "error", "a results file or folder could not be read",
         "permissions, dangling links, non-UTF-8 paths"),
    Code("results-malformed", "error",
         "a results file is not a well-formed file of a format qualify reads (JUnit, NUnit, xUnit.net, TRX, "
         "CTRF, go test -json)",
         "the job was killed mid-write, or it is another format; the message names file and line"),
    Code("results-too-large", "error", "a file, or all files together, exceed the byte limit",
         "raise `max-file-bytes` / `max-total-bytes` (see [limits](docs/security.md#limits-and-how-to-change-them))"),
    Code("outside-workspace", "error", "a glob or file (or a link) leads outside the workspace",
         "keep results in the workspace"),
    Code("output-failed", "error", "a report, output or summary could not be written",
         "check `json-report` and the disk"),
    Code("internal-error", "error", "a bug in qualify",
         "re-run with `QUALIFY_DEBUG=1` for a traceback and report it"),
    Code("could-not-evaluate", "error", "any other reason, named in the message (e.g. an API error)",
         "follow the message"),
)  # fmt: skip

BY_NAME: dict[str, Code] = {c.name: c for c in REGISTRY}


def of_kind(kind: Kind) -> tuple[Code, ...]:
    return tuple(c for c in REGISTRY if c.kind == kind)
