"""The pipeline in one call: declarations + results -> matching -> policy -> Verdict.

`evaluate` is the one entry that `qualify check`, the tests and the bench call. It is pure given pure
inputs: the results reach it through the `Results` protocol, so the same call reads testcases held in
memory (`CaseList`: tests, bench) or streams files in worker processes (`results.read.FileResults`:
the command line and the Action). Matching needs to tell the reader, before it reads, which testcases
to keep: `evaluate` builds the matcher from the declarations and hands each job's `Filter` to the
results; what comes back, file by file, is a `Batch`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from qualify.core import policy
from qualify.core.matching import Keep, Matcher, TraceOf
from qualify.core.model import JOBS, Finding, JobCounts, TestCase, TrackingRead, Verdict
from qualify.core.policy import PolicyConfig


@dataclass(frozen=True, slots=True)
class Declarations:
    """What the TRACKING.md files say, and what the shell learnt about them or the run on the way
    (issue lists from the API, labels that could not be read, stale artifacts): `notes` join the
    verdict's findings. A `tracking-missing` note without an issue (the tracking glob matched no
    file) replaces the generic "nothing is declared" finding, which it explains better."""

    reads: Sequence[TrackingRead]
    notes: Sequence[Finding] = ()


@dataclass(frozen=True, slots=True)
class Filter:
    """What the reader of one job must know before it reads: which testcases to keep (the rest are
    only counted), which kept ones carry their output, properties and attachment paths (evidence,
    scenario traces), whether their traces are read, and, in a worker process, the list the filter
    logs near-miss names into (sent back in the file's Batch)."""

    keep: Keep
    capture: Callable[[str], bool] | None
    traces: bool
    near_log: list[tuple[str, bool]] | None = None  # (name, whether it is a whole space-joined path)


@dataclass(frozen=True, slots=True)
class Batch:
    """One results file as read, in file order.

    The contract with readers in other processes: `near` holds the names their filter logged; they
    are replayed before `cases` are added, batch after batch in file order, so the closest titles a
    problem names are those of a one-process read. `trace_of` reads the trace (output, attachments,
    properties) of a testcase of this file; None when no trace is needed or none can be read.
    """

    job: str
    cases: Sequence[TestCase]
    counts: JobCounts
    near: Sequence[tuple[str, bool]] = ()
    trace_of: TraceOf | None = None


FilterFor = Callable[[str, bool], Filter]  # (job, logged: filter runs in a worker process) -> Filter


class Results(Protocol):
    """Where the testcases come from: file by file, each job's files read with that job's Filter."""

    def batches(self, filter_for: FilterFor) -> Iterator[Batch]: ...


@dataclass(frozen=True, slots=True)
class CaseList:
    """Results already in memory, one batch per job: the filter is applied as a reader would apply it
    (what it does not keep is counted only), so a test sees what a check of files would see."""

    cases: Mapping[str, Iterable[TestCase]] = field(default_factory=dict)
    trace_of: TraceOf | None = None

    def batches(self, filter_for: FilterFor) -> Iterator[Batch]:
        for job in JOBS:
            wanted = filter_for(job, False)
            counts = JobCounts()  # no files: `files` stays 0
            kept = []
            for case in self.cases.get(job, ()):
                counts.add(case)
                # The classname, as a reader's element gives it: the near-miss side-look reads it.
                if wanted.keep(case.name, {"classname": case.classname}):
                    kept.append(case)
            yield Batch(job, kept, counts, trace_of=self.trace_of if wanted.traces else None)


def filters(matcher: Matcher) -> FilterFor:
    """The reading filters of one matcher, per job."""

    def filter_for(job: str, logged: bool) -> Filter:
        log: list[tuple[str, bool]] | None = [] if logged else None
        return Filter(matcher.keeper(job, log), matcher.captures(job), matcher.reads_traces, log)

    return filter_for


def evaluate(declarations: Declarations, results: Results, config: PolicyConfig) -> Verdict:
    """Select the defects, match every testcase the results hold, apply the release rules."""
    defects, selection = policy.select_defects(list(declarations.reads), config)
    first = [n for n in declarations.notes if n.code == "tracking-missing" and n.issue is None]
    later = [n for n in declarations.notes if not (n.code == "tracking-missing" and n.issue is None)]
    if first:
        selection = [f for f in selection if not (f.code == "tracking-missing" and f.issue is None)]
    matcher = Matcher(defects)
    counts = {job: JobCounts() for job in JOBS}
    for batch in results.batches(filters(matcher)):
        counts[batch.job].merge(batch.counts)
        matcher.replay_near(batch.job, list(batch.near))
        for case in batch.cases:
            matcher.add(case, batch.trace_of)
    return policy.evaluate(list(declarations.reads), [*first, *selection, *later], matcher.book, counts, config)
