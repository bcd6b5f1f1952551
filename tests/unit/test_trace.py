"""The pure trace logic: building a trace, the scenario steps in order, event orders and drift."""

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualify.core import trace as traces
from qualify.core.model import Step, TraceNote

STEPS = traces.compile_steps(
    [
        Step("connect", r"session\.created", 7),
        Step("Settings", r"session\.update", 8),
        Step("call", r"function_call", 9),
    ]
)


def _trace(*lines: str) -> traces.Trace:
    return traces.build("\n".join(lines), (), ())


def test_the_trace_is_output_then_attachments_then_properties_and_says_where_each_line_is():
    t = traces.build("a\r\nb", [("log.txt", "c\nd\n")], [("upstream", "wss://x"), ("n", "v1\nv2")])
    assert t.lines == ("a", "b", "c", "d", "", "upstream: wss://x", "n: v1", "v2")
    assert [t.where(i) for i in (0, 1, 2, 4, 5, 7)] == [
        "output line 1", "output line 2", "attachment log.txt line 1", "attachment log.txt line 3",
        "properties line 1", "properties line 3",
    ]  # fmt: skip


def test_steps_in_order_are_complete_with_where_each_was_seen():
    check = traces.check_steps(_trace("x", "session.created", "session.update", "y function_call"), STEPS)
    assert check.complete and check.problem is None
    assert [(s.name, s.line, s.where) for s in check.steps] == [
        ("connect", 7, "output line 2"), ("Settings", 8, "output line 3"), ("call", 9, "output line 4"),
    ]  # fmt: skip


def test_a_missing_step_is_named_after_the_steps_seen():
    check = traces.check_steps(_trace("session.created", "session.update", "session.update"), STEPS)
    assert not check.complete
    assert check.problem == "steps seen: connect → Settings; missing from here: call"
    assert [s.seen for s in check.steps] == [True, True, False]


def test_nothing_seen():
    check = traces.check_steps(_trace(""), STEPS)
    assert check.problem == "steps seen: none; missing from here: connect" and check.seen == 0


def test_a_step_before_the_previous_one_is_out_of_place():
    check = traces.check_steps(_trace("session.created", "function_call", "session.update"), STEPS)
    assert check.problem == (
        "steps seen: connect → Settings; out of place: call appears only before Settings "
        "(output line 2; Settings at output line 3)"
    )


def test_two_steps_never_share_a_line():
    check = traces.check_steps(_trace("session.created session.update function_call"), STEPS)
    assert check.problem == (
        "steps seen: connect; out of place: Settings appears on the same line as connect "
        "(output line 1; connect at output line 1)"
    )


def test_the_earliest_choice_finds_an_order_whenever_one_exists():
    # connect matches lines 1 and 3; Settings only line 2: taking connect at line 1 works.
    check = traces.check_steps(_trace("session.created", "session.update", "session.created", "function_call"), STEPS)
    assert check.complete


@given(st.lists(st.sampled_from(["session.created", "session.update", "function_call", "noise"]), max_size=12))
def test_complete_exactly_when_the_steps_are_a_subsequence_of_the_lines(lines):
    names = {"session.created": 0, "session.update": 1, "function_call": 2}
    it = iter(names.get(line) for line in lines)
    expected = all(any(k == want for k in it) for want in range(3))  # subsequence test
    assert traces.check_steps(_trace(*lines), STEPS).complete is expected


def test_the_trace_is_bounded_in_lines_and_line_length(monkeypatch):
    monkeypatch.setattr(traces, "MAX_TRACE_LINES", 5)
    t = traces.build("1\n2\n3", [("a", "4\n5\n6\n7")], [("p", "v")])
    assert t.lines == ("1", "2", "3", "4", "5")
    assert t.notes == (TraceNote("(trace)", "cut at 5 lines; later lines were not searched"),)
    long = traces.build("x" * (traces.MAX_LINE_CHARS + 10), (), ())
    assert len(long.lines[0]) == traces.MAX_LINE_CHARS


def test_a_million_lines_are_searched_in_bounded_time():
    t = traces.build("session.created\n" + "noise\n" * 1_000_000, (), ())
    assert len(t.lines) == traces.MAX_TRACE_LINES
    start = time.process_time()
    check = traces.check_steps(t, STEPS)
    assert not check.complete and time.process_time() - start < 5


def test_events_in_first_appearance_order_group_one():
    pattern = re.compile(r'"type":"([\w.]+)"')
    t = _trace('{"type":"a"} {"type":"b"}', '{"type":"a"}', "nothing", '{"type":"c"}')
    assert traces.first_events(t, pattern) == traces.EventOrder(("a", "b", "c"))


def test_events_are_bounded():
    pattern = re.compile(r"e(\d+)")
    t = _trace(*(f"e{i}" for i in range(traces.MAX_EVENTS + 5)))
    found = traces.first_events(t, pattern)
    assert len(found.order) == traces.MAX_EVENTS and found.truncated


def test_drift_names_pairs_in_opposite_orders_earliest_first_and_one_sided_events():
    mock = ["created", "text.done", "audio.done", "done", "only.mock"]
    real = ["created", "call", "audio.done", "text.done", "done"]
    d = traces.drift(mock, real)
    assert d.pairs == (("audio.done", "text.done"),) and d.more_pairs == 0
    assert d.mock_only == ("only.mock",) and d.real_only == ("call",)
    assert not traces.drift(mock, mock).any


def test_drift_keeps_a_few_pairs():
    d = traces.drift(["e", "d", "c", "b", "a"], ["a", "b", "c", "d", "e"])
    assert d.pairs == (("a", "b"), ("a", "c"), ("a", "d")) and d.more_pairs == 7


def test_attachment_properties_follow_the_testmo_and_bitrise_names():
    props = [
        ("attachment", " a.log "),
        ("attachment2", "b.log"),
        ("attachment_3", "c"),
        ("attachments", "x"),
        ("p", "y"),
    ]
    assert traces.attachment_properties(props) == ["a.log", "b.log", "c"]


def test_the_cpu_deadline_stops_a_backtracking_search():
    t = _trace("abc" * 700)
    steps = traces.compile_steps([Step("slow", "a.*b.*c.*d", 1)])
    start = time.process_time()
    with pytest.raises(traces.TraceTimeout), traces.cpu_deadline(0.3):
        traces.check_steps(t, steps)
    assert time.process_time() - start < 3
    # The timer is off afterwards: later work is not interrupted.
    with traces.cpu_deadline(5):
        sum(range(10_000))
    time.sleep(0)
