"""The partner-scenario rule read from the run's trace, and mock drift, through Matcher and evaluate."""

from builders import TODAY, case, defect, entry, output, steps, verdict_of, waiver

from qualify.core import matching
from qualify.core.model import Outcome
from qualify.core.policy import PolicyConfig

CONFIG = PolicyConfig(today=TODAY)
FLOW = steps(("connect", r"session\.created"), ("function call", r"function_call"), ("response", r"response\.done"))
FULL = "session.created\nfunction_call\nresponse.done"
PROBE_TRACE = "session.created\nresponse.done"
E2E = entry("partner e2e", kind="scenario", jobs=["real"], line=6)
REG = entry("regression test", jobs=["mock"], line=10)
BOTH = entry("both jobs", jobs=["mock", "real"], line=12)
EVENTS = r'"type":"([\w.]+)"'


def verdict(defects, cases, trace_of=None):
    return verdict_of(defects, cases, config=CONFIG, trace_of=trace_of)


def codes(v):
    return sorted(f.code for f in v.problems)


def partner(*entries, **kw):
    return defect(*entries, areas=["proxy"], partner="voice-commerce", **kw)


def test_the_full_flow_in_the_trace_qualifies():
    v = verdict(
        [partner(E2E, REG, steps=FLOW)], [case("partner e2e", job="real", output=FULL), case("regression test")]
    )
    assert v.qualified, [f.message for f in v.problems]
    flow = v.defects[0].entries[0].matches["real"].flow
    assert flow.complete == 1 and [s.where for s in flow.steps] == ["output line 1", "output line 2", "output line 3"]
    assert "scenario-unverified" not in [f.code for f in v.warnings]


def test_a_probe_labelled_scenario_is_incomplete_at_the_missing_steps_line():
    v = verdict(
        [partner(E2E, REG, steps=FLOW)], [case("partner e2e", job="real", output=PROBE_TRACE), case("regression test")]
    )
    # The scenario finding says it all: no separate partner-scenario-not-covered, and the real-API
    # rule is met (the test did run against the real API; only its flow is not the partner's).
    assert codes(v) == ["scenario-incomplete"]
    (f,) = v.problems
    assert f.line == 21 and f.job == "real" and f.test == "partner e2e"
    assert "steps seen: connect; missing from here: function call" in f.message
    assert "(testcase “partner e2e”, real.xml:1; 1 passed run(s) searched)" in f.message


def test_one_complete_run_of_several_is_enough():
    runs = [case("partner e2e", job="real", output=PROBE_TRACE), case("partner e2e", job="real", output=FULL)]
    v = verdict([partner(E2E, REG, steps=FLOW)], [*runs, case("regression test")])
    assert v.qualified
    assert v.defects[0].entries[0].matches["real"].flow.checked == 2


def test_only_so_many_runs_are_searched(monkeypatch):
    monkeypatch.setattr(matching, "MAX_TRACED_RUNS", 3)
    runs = [case("partner e2e", job="real", output=PROBE_TRACE)] * 5 + [case("partner e2e", job="real", output=FULL)]
    v = verdict([partner(E2E, REG, steps=FLOW)], [*runs, case("regression test")])
    (f,) = v.problems
    assert "3 passed run(s) searched, 3 more not searched (at most 3 are)" in f.message


def test_a_failed_scenario_run_is_a_failure_not_an_incomplete_flow_and_its_trace_is_not_read():
    read = []

    def trace_of(c):
        read.append(c)
        raise AssertionError("a failed run's trace is never read")

    cases = [case("partner e2e", job="real", outcome=Outcome.FAILED, output=FULL), case("regression test")]
    v = verdict([partner(E2E, REG, steps=FLOW)], cases, trace_of)
    assert codes(v) == ["no-real-api-coverage", "partner-scenario-not-covered", "test-failed"] and read == []


def test_traces_are_read_only_for_declared_tests_that_need_them():
    read = []

    def trace_of(c):
        read.append(c.name)
        from qualify.core import trace

        return trace.build(c.output, (), c.properties)

    probe = entry("probe test", kind="probe", jobs=["real"], line=14)
    cases = [
        case("partner e2e", job="real", output=FULL),
        case("probe test", job="real", output=FULL),  # not kind: scenario, no events: not read
        case("regression test", output=FULL),
        case("undeclared", job="real", output=FULL),
    ]
    verdict([partner(E2E, REG, probe, steps=FLOW)], cases, trace_of)
    assert read == ["partner e2e"]
    read.clear()
    verdict([partner(E2E, REG, probe)], cases, trace_of)  # the scenario is a sentence: nothing to read
    assert read == []


def test_a_sentence_keeps_todays_rule_with_a_warning():
    v = verdict(
        [partner(E2E, REG, scenario="connect → call")],
        [case("partner e2e", job="real", output="nothing"), case("regression test")],
    )
    assert v.qualified
    (w,) = [f for f in v.warnings if f.code == "scenario-unverified"]
    assert w.line == 19 and "cannot check" in w.message


def test_an_exception_waives_an_incomplete_flow_like_any_missing_coverage():
    d = partner(E2E, REG, steps=FLOW, waiver=waiver(TODAY))
    v = verdict([d], [case("partner e2e", job="real", output=PROBE_TRACE), case("regression test")])
    assert v.qualified and "scenario-incomplete" in [f.code for f in v.warnings if f.waived]


def test_evidence_and_steps_both_apply():
    e2e = entry("partner e2e", kind="scenario", jobs=["real"], line=6, evidence=[output("api.example")])
    v = verdict(
        [partner(e2e, REG, steps=FLOW)], [case("partner e2e", job="real", output=FULL), case("regression test")]
    )
    assert codes(v) == ["evidence-missing", "no-real-api-coverage", "partner-scenario-not-covered"]


def test_mock_drift_is_a_warning_per_pair_with_one_sided_events():
    mock = '{"type":"created"}\n{"type":"text.done"}\n{"type":"audio.done"}\n{"type":"mock.only"}'
    real = '{"type":"created"}\n{"type":"call"}\n{"type":"audio.done"}\n{"type":"text.done"}'
    v = verdict(
        [defect(BOTH, events=EVENTS)], [case("both jobs", output=mock), case("both jobs", job="real", output=real)]
    )
    assert v.qualified
    drift = [f for f in v.warnings if f.code == "mock-drift"]
    assert [f.message for f in drift] == [
        "mock: text.done before audio.done; real API: audio.done before text.done (results files mock.xml, real.xml)",
        "mock only: mock.only; real API only: call (results files mock.xml, real.xml)",
    ]
    assert {f.line for f in drift} == {12}


def test_no_drift_without_two_passed_runs_or_without_events():
    mock = '{"type":"b"}\n{"type":"a"}'
    real = '{"type":"a"}\n{"type":"b"}'
    cases = [case("both jobs", output=mock), case("both jobs", job="real", output=real, outcome=Outcome.FAILED)]
    assert not [f for f in verdict([defect(BOTH, events=EVENTS)], cases).warnings if f.code == "mock-drift"]
    cases = [case("both jobs", output=mock), case("both jobs", job="real", output="no events")]
    assert not [f for f in verdict([defect(BOTH, events=EVENTS)], cases).warnings if f.code == "mock-drift"]
