"""The non-JUnit readers on real files: go test -json against gotestsum's JUnit of the same run, the
.NET corpus (NUnit 3 and 2, xUnit.net, TRX) name by name, CTRF from two reporters, and evidence
(scenario traces) from each format's own output field. Counts per file are in
test_runner_fixtures.py; the readers' edge cases in tests/unit/test_formats_unit.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import defect, entry, output, prop

from qualify.core.matching import Matcher
from qualify.core.model import JobCounts, Outcome, Status
from qualify.results.formats import detect, read_testcases

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = FIXTURES / "corpus"
GO = FIXTURES / "runners/go"


def _cases(path: Path, capture: bool = False) -> list:
    return list(read_testcases(str(path), path.name, "real", JobCounts(), capture=capture))


def _real(path: Path, *entries):
    m = Matcher([defect(*entries)])
    for c in read_testcases(str(path), path.name, "real", JobCounts(), m.keeper("real"), capture=m.captures("real")):
        m.add(c)
    return [m.book.get(0, i, "real") for i in range(len(entries))]


# ------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("rel", "key"),
    [
        ("runners/go/go-test.json", "gotest"),  # starts with a plain `FAIL <pkg> [build failed]` line
        ("runners/go/gotestsum.xml", "junit"),
        ("runners/ctrf/jest.json", "ctrf"),
        ("runners/ctrf/playwright.json", "ctrf"),
        ("corpus/dorny/dotnet-nunit.xml", "nunit"),
        ("corpus/enricomi/nunit/nunit3/jenkins/NUnit-correct.xml", "nunit"),
        ("corpus/enricomi/xunit/mstest/fixie.xml", "xunit"),
        ("corpus/enricomi/xunit/mstest/pickles.xml", "xunit"),
        ("corpus/dorny/dotnet-trx.trx", "trx"),
    ],
)
def test_the_format_comes_from_the_content(rel, key, tmp_path):
    src = FIXTURES / rel
    assert detect(str(src), rel).key == key
    # never from the name: the same bytes under a misleading name read the same
    disguised = tmp_path / "results.txt"
    disguised.write_bytes(src.read_bytes())
    assert detect(str(disguised), "results.txt").key == key


# ------------------------------------------------------------------------------------- Go


def test_go_test_json_and_gotestsum_junit_of_the_same_run_agree():
    """Same statuses, test by test; the one difference: gotestsum drops a package that did not build."""
    ours = {c.name: c.outcome for c in _cases(GO / "go-test.json")}
    theirs = {c.name: c.outcome for c in _cases(GO / "gotestsum.xml")}
    assert set(ours) - set(theirs) == {"TestMain"}  # example.com/qualify-fixture/broken [build failed]
    assert ours.pop("TestMain") is Outcome.FAILED
    assert ours == theirs
    # what the run holds: subtests, skips, a failure, a panic, a parallel test that never finished
    assert theirs["TestCheckout/function-call_flow/completes_the_flow"] is Outcome.PASSED
    assert theirs["TestCheckout/skips_itself_at_run_time"] is Outcome.SKIPPED
    assert theirs["TestCheckout/rejects_an_expired_card_(#470)"] is Outcome.FAILED
    assert theirs["TestPanics"] is Outcome.FAILED
    assert theirs["TestWaitsInParallel"] is Outcome.FAILED  # started, never finished: never passed


def test_go_names_files_and_output_match_gotestsum():
    ours = {c.name: c for c in _cases(GO / "go-test.json", capture=True)}
    theirs = {c.name: c for c in _cases(GO / "gotestsum.xml")}
    for name, case in theirs.items():
        assert (ours[name].classname, ours[name].suites, ours[name].file) == (case.classname, case.suites, case.file)
    flow = ours["TestCheckout/Issue_#462_function-call_flow_completes"]
    assert "step 1: open session" in flow.output and "proxy-version: 2.4.1" in flow.output


def test_go_scenario_trace_and_evidence_from_output_lines():
    title = "TestCheckout/Issue_#462_function-call_flow_completes"
    good, wrong = _real(
        GO / "go-test.json",
        entry(title, jobs=["real"], evidence=[output(r"step 2: function call answered$"), output("proxy-version: 2")]),
        entry(title, jobs=["real"], evidence=[output("step 3")]),
    )
    assert good.status is Status.PASSED and good.evidenced == 1
    assert wrong.status is Status.PASSED and wrong.evidenced == 0


def test_go_declared_file_is_the_package_folder():
    here, elsewhere = _real(
        GO / "go-test.json",
        entry("TestRefundsPartialOrder", file="checkout"),
        entry("TestRefundsPartialOrder", file="parser"),
    )
    assert here.status is Status.PASSED and here.file_unverified == 0
    assert elsewhere.status is Status.NOT_FOUND


# ----------------------------------------------------------------------------------- .NET
# Hand-read from each file (name as written there -> status); the totals, and the peers' own
# numbers for the same files, are checked in test_runner_fixtures.py.

DOTNET = {
    "dorny/dotnet-nunit.xml": [
        ("DotnetTests.XUnitTests.CalculatorTests", "Is_Even_Number(2)", Outcome.PASSED),
        ("DotnetTests.XUnitTests.CalculatorTests", "Is_Even_Number(3)", Outcome.FAILED),
        ("DotnetTests.XUnitTests.CalculatorTests", "Skipped_Test", Outcome.SKIPPED),
        ("DotnetTests.XUnitTests.CalculatorTests", "Timeout_Test", Outcome.FAILED),
    ],
    "enricomi/nunit/nunit3/jenkins/NUnit-correct.xml": [  # NUnit 2: full names split at the method
        ("NUnit.Tests.Assemblies.MockTestFixture", "FailingTest", Outcome.FAILED),
        ("NUnit.Tests.Assemblies.MockTestFixture", "TestWithException", Outcome.FAILED),  # Error
        ("NUnit.Tests.Assemblies.MockTestFixture", "InconclusiveTest", Outcome.SKIPPED),
        ("NUnit.Tests.Assemblies.MockTestFixture", "NotRunnableTest", Outcome.SKIPPED),
        ("NUnit.Tests.Assemblies.MockTestFixture", "MockTest4", Outcome.SKIPPED),  # Ignored
        ("NUnit.Tests.FixtureWithTestCases", "MethodWithParameters(9,11)", Outcome.PASSED),
    ],
    "enricomi/nunit/nunit3/jenkins/NUnit-issue33493.xml": [],
    "dorny/dotnet-trx.trx": [  # xUnit.net via TRX: `Ns.Class.Method` loses its class
        ("DotnetTests.XUnitTests.CalculatorTests", "Passing_Test", Outcome.PASSED),
        ("DotnetTests.XUnitTests.CalculatorTests", "Failing_Test", Outcome.FAILED),
        ("DotnetTests.XUnitTests.CalculatorTests", "Skipped_Test", Outcome.SKIPPED),  # NotExecuted
        ("DotnetTests.XUnitTests.CalculatorTests", "Should be even number(i: 3)", Outcome.FAILED),  # display name
        ("DotnetTests.XUnitTests.CalculatorTests", "Is_Even_Number(i: 2)", Outcome.PASSED),
    ],
    "enricomi/trx/yami_YAMILEX_2015-10-24_04_18_59.trx": [],  # definitions before results (second pass)
    "enricomi/xunit/mstest/fixie.xml": [],
}


@pytest.mark.parametrize("rel", sorted(k for k, v in DOTNET.items() if v))
def test_dotnet_names_and_statuses_read_by_hand(rel):
    got = {(c.classname, c.name): c.outcome for c in _cases(CORPUS / rel)}
    for classname, name, outcome in DOTNET[rel]:
        assert got.get((classname, name)) is outcome, (classname, name, got)


@pytest.mark.parametrize(
    ("rel", "title", "status"),
    [
        ("dorny/dotnet-nunit.xml", "CalculatorTests › Is_Even_Number(3)", Status.FAILED),
        ("dorny/dotnet-nunit.xml", "CalculatorTests::Passing_Test", Status.PASSED),
        ("enricomi/nunit/nunit3/jenkins/NUnit-correct.xml", "MockTestFixture › MockTest1", Status.PASSED),
        ("enricomi/nunit/nunit3/jenkins/NUnit-correct.xml", "MockTestFixture › InconclusiveTest", Status.SKIPPED),
        ("enricomi/nunit/nunit3/jenkins/NUnit-issue33493.xml", "CMFeature › AddTwoNumbers", Status.SKIPPED),
        ("dorny/dotnet-trx.trx", "CalculatorTests › Passing_Test", Status.PASSED),
        ("dorny/dotnet-trx.trx", "Should be even number(i: 3)", Status.FAILED),
        ("enricomi/trx/mstest/pickles.trx", "AdditionFeature › AddTwoNumbers", Status.PASSED),
        ("enricomi/trx/mstest/pickles.trx", "MSTest › AdditionFeature › FailToAddTwoNumbers", Status.FAILED),
        ("enricomi/trx/yami_YAMILEX_2015-10-24_04_18_59.trx", "SIARAlgorithmTest › CompareTest", Status.SKIPPED),
        ("enricomi/xunit/mstest/fixie.xml", "[testClass] › Pass", Status.PASSED),
        ("enricomi/xunit/mstest/fixie.xml", "[testClass] › Skip", Status.SKIPPED),
    ],
)
def test_dotnet_declared_titles_match_as_junit_names_do(rel, title, status):
    (m,) = _real(CORPUS / rel, entry(title))
    assert m.status is status, (title, m)


def test_trx_aborted_and_not_runnable_are_never_passed():
    cases = _cases(CORPUS / "enricomi/trx/yami_YAMILEX_2015-10-24_04_18_59.trx")
    assert len(cases) == 25 and sum(c.outcome is Outcome.PASSED for c in cases) == 2
    assert all(c.classname for c in cases), "definitions came first: the second pass found every class"


def test_dotnet_output_and_properties_are_evidence():
    (nunit,) = _real(
        CORPUS / "dorny/dotnet-nunit.xml",
        entry("Passing_Test_With_Description", jobs=["real"], evidence=[prop("Description", "Some description")]),
    )
    assert nunit.status is Status.PASSED and nunit.evidenced == 1
    (xunit,) = _real(
        CORPUS / "enricomi/xunit/mstest/jenkinsci/testcase2.xml",
        entry("SuccessfulTestWithTrait", jobs=["real"], evidence=[prop("Description", "^SomeDescription$")]),
    )
    assert xunit.status is Status.PASSED and xunit.evidenced == 1


# ------------------------------------------------------------------------------------- CTRF


@pytest.mark.parametrize("rel", ["ctrf/jest.json", "ctrf/playwright.json"])
def test_ctrf_flaky_and_retries(rel):
    (flaky, failing) = _real(
        FIXTURES / "runners" / rel,
        entry("passes on the second try"),
        entry("fails every try"),
    )
    assert flaky.status is Status.PASSED and flaky.flaky == 1
    assert failing.status is Status.FAILED


def test_ctrf_playwright_annotations_and_stdout_are_evidence():
    path = FIXTURES / "runners/ctrf/playwright.json"
    annotated, printed = _real(
        path,
        entry("checkout › Issue #462: totals are rounded to cents", jobs=["real"], evidence=[prop("issue", "^#462$")]),
        entry("checkout › prints and attaches output @smoke", jobs=["real"], evidence=[output("hello from the test")]),
    )
    assert annotated.evidenced == 1 and printed.evidenced == 1


def test_ctrf_jest_todo_is_skipped_not_passed():
    (todo,) = _real(FIXTURES / "runners/ctrf/jest.json", entry("checkout › supports gift cards"))
    assert todo.status is Status.SKIPPED  # jest-junit cannot say it (a todo reads passed there)
