"""`test-not-found` names the real test for a title reworded by hand (issue #18), on JUnit that each
runner really wrote (tests/fixtures/runners/<runner>/reworded.xml, from sources/<runner>/reworded/).

The titles are long real-API ones, under a describe path that carries its own `(Issue #381)`; the
declarations reword them the ways people do: words dropped, added or changed, a describe path in
front, the remark in parentheses after left out. Each finding must say "did you mean" with a title
that, declared, matches the test (checked by declaring it), and name the TRACKING.md line to change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import TODAY, defect, entry

from qualify.core.evaluate import Declarations, evaluate
from qualify.core.model import JOBS, TrackingRead
from qualify.core.policy import PolicyConfig
from qualify.results.read import FileResults
from qualify.workspace import Found

RUNNERS = Path(__file__).resolve().parent / "fixtures" / "runners"

ISSUE_462 = (
    "Issue #462: does not send session.update after output_audio.done until output_text.done"
    " (responseInProgress not cleared on audio.done alone)"
)
FORWARDS = "forwards the FunctionCallResponse with the upstream call_id"
RECONNECTS = "reconnects after an abnormal close of the upstream socket"
DISCOUNT = "applies the discount code before computing the taxes"

# (issue, declared title, the test it means): words dropped, added, changed; a path in front.
JS_REWORDED = [
    (462, "Issue #462: no session.update after output_audio.done until output_text.done", ISSUE_462),
    (470, "forwards FunctionCallResponse with upstream call_id", FORWARDS),
    (471, "reconnects after an unexpected abnormal close of the upstream socket", RECONNECTS),
    (472, "applies the coupon code before computing the taxes", DISCOUNT),
    (473, "Realtime proxy › upstream › reconnects after abnormal close of the upstream socket", RECONNECTS),
    (474, "Issue #462: does not send session.update after output_audio.done until output_text.done", ISSUE_462),
]

PY_ISSUE = "test_issue_462_no_session_update_after_output_audio_done_until_output_text_done"
PY_FORWARDS = "test_forwards_function_call_response_with_upstream_call_id"
PY_RECONNECTS = "test_reconnects_after_abnormal_close_of_upstream_socket"
PY_REWORDED = [
    (462, "TestRealtimeProxy::test_issue_462_no_session_update_until_output_text_done", PY_ISSUE),
    (470, "TestRealtimeProxy::test_forwards_function_call_output_to_upstream_call_id", PY_FORWARDS),
    (471, "test_reconnects_after_abnormal_close[upstream]", PY_RECONNECTS),
    (472, "test_applies_coupon_code_before_computing_taxes", "test_applies_discount_code_before_computing_taxes"),
]

# With a describe path in front: Playwright and Vitest keep the part of the path the test has.
JS_MEANT = [t for _, _, t in JS_REWORDED[:4]] + [RECONNECTS, ISSUE_462]
PW_MEANT = [t for _, _, t in JS_REWORDED[:4]] + [f"upstream › {RECONNECTS}", ISSUE_462]

# runner fixture -> (declarations, what "did you mean" proposes for each: the title the runner wrote)
DIALECTS = {
    # jest-junit defaults: `describe path title` joined by spaces; the title is where the declared one starts
    "jest": (JS_REWORDED, JS_MEANT),
    # Playwright `describe › title`, Vitest `describe > title`: the trailing path part(s)
    "playwright": (JS_REWORDED, PW_MEANT),
    "vitest": (JS_REWORDED, PW_MEANT),
    # pytest `module.Class` + `test[param]`: the name without [params] (it matches every parametrisation)
    "pytest": (PY_REWORDED, [t for _, _, t in PY_REWORDED]),
}


def _verdict(xml: Path, declared: list[tuple[int, str]]):
    """The check's own pipeline: the file read (as both jobs) through `FileResults` into `evaluate`."""
    defects = [defect(entry(test, jobs=["real"], line=9), issue=issue) for issue, test in declared]
    reads = [TrackingRead(path=d.tracking, defect=d) for d in defects]
    found = Found(xml, xml.name, xml.stat().st_size)
    results = FileResults([(job, [found]) for job in JOBS], found.size, xml.parent)
    return evaluate(Declarations(reads), results, PolicyConfig(today=TODAY))


@pytest.mark.parametrize("runner", sorted(DIALECTS))
def test_a_reworded_title_is_named_by_test_not_found(runner):
    xml = RUNNERS / runner / "reworded.xml"
    rewordings, meant = DIALECTS[runner]
    v = _verdict(xml, [(issue, test) for issue, test, _ in rewordings])
    for d, (issue, test, _), want in zip(v.defects, rewordings, meant, strict=True):
        (f,) = [f for f in d.findings if f.code == "test-not-found"]
        assert f.did_you_mean == want, (runner, test, f.message)
        assert f"did you mean “{want}”" in f.message
        assert f"change `test:` on line 9 of docs/issues/ISSUE-{issue}/TRACKING.md to “{want}”" in f.hint
        assert f.as_dict()["did_you_mean"] == want
        # Nothing unrelated is named: every name shares the meaning words of what was declared.
        for name in f.closest:
            assert any(w in name for w in ("session.update", "call_id", "upstream", "discount", "coupon", "462")), name
    # Declared as proposed, every one is found: the proposal is a title that matches.
    fixed = _verdict(xml, [(issue, want) for (issue, _, _), want in zip(rewordings, meant, strict=True)])
    assert not [f for f in fixed.problems if f.code == "test-not-found"], [f.message for f in fixed.problems]


def test_the_issue_example_prefers_the_test_mentioning_the_issue():
    # The TRACKING.md of #462 declared a shortened title; the real test mentions #462, no entry
    # declares it, and its describe path mentions another issue (#381).
    v = _verdict(RUNNERS / "jest" / "reworded.xml", [(462, JS_REWORDED[0][1])])
    (f,) = [f for f in v.defects[0].findings if f.code == "test-not-found"]
    assert f.closest[0] == f"OpenAI proxy integration (Issue #381) {ISSUE_462}"
    assert f.did_you_mean == ISSUE_462
    assert "it mentions #462, no entry declares it" in f.hint


def test_an_unrelated_title_names_nothing():
    for runner in DIALECTS:
        v = _verdict(RUNNERS / runner / "reworded.xml", [(480, "exports the monthly invoice as a PDF file")])
        (f,) = [f for f in v.defects[0].findings if f.code == "test-not-found"]
        assert f.closest == () and f.did_you_mean is None and "did you mean" not in f.message
