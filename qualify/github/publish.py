"""Publishing where people look: one sticky pull-request comment and a check run with annotations.

Publishing never changes the verdict. Fork pull requests and Dependabot get a read-only token:
then each publishing step becomes a warning (in the summary and the log) and the check goes on.
"""

from __future__ import annotations

from typing import Any

from qualify.core.model import Finding, Verdict
from qualify.github.client import CHECKS_WRITE, PULL_REQUESTS_WRITE, GitHubError
from qualify.render import markdown as summary
from qualify.settings import GitHubContext, PublishSettings

MARKER = "<!-- qualify:sticky-report -->"
MAX_COMMENT_CHARS = 65_536  # GitHub refuses longer issue comments
MAX_CHECK_TEXT = 65_535  # check run output.summary / output.text
ANNOTATIONS_PER_REQUEST = 50  # the Checks API takes at most 50 annotations per request
MAX_ANNOTATIONS = 1_000
_CUT_NOTE = "\n\n… cut to fit GitHub's size limit; the full report is in the job summary and the JSON report.\n"


def fit_chars(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a line break, with a note saying so."""
    if len(text) <= limit:
        return text
    room = limit - len(_CUT_NOTE) - len(summary.DETAILS_CLOSE)
    cut = text.rfind("\n", 0, room)
    return summary.close_details(text[: cut if cut > 0 else room]) + _CUT_NOTE


def comment_body(report_md: str) -> str:
    return fit_chars(f"{MARKER}\n{report_md}", MAX_COMMENT_CHARS)


def find_sticky(comments: list[Any]) -> dict[str, Any] | None:
    """The comment qualify wrote before: its body starts with the hidden marker. The first one wins."""
    for c in comments:
        if isinstance(c, dict) and str(c.get("body") or "").startswith(MARKER) and isinstance(c.get("id"), int):
            return c
    return None


def upsert_comment(api: Any, pr: int, body: str) -> str:
    """Edit the sticky comment, or create it when there is none; returns "updated" or "created"."""
    path = f"{api.repo.path}/issues/{pr}/comments"
    existing = find_sticky(list(api.client.paginate(path, permission=PULL_REQUESTS_WRITE)))
    if existing is not None:
        api.client.send_json(
            "PATCH",
            f"{api.repo.path}/issues/comments/{existing['id']}",
            {"body": body},
            permission=PULL_REQUESTS_WRITE,
        )
        return "updated"
    api.client.send_json("POST", path, {"body": body}, permission=PULL_REQUESTS_WRITE)
    return "created"


def annotations(findings: list[Finding]) -> list[dict[str, Any]]:
    """Check-run annotations for findings located in a file (the API needs a path)."""
    out = []
    for f in findings:
        if not f.file:
            continue
        line = f.line or 1
        text = f.message
        if f.test:
            text = f"{f.test}: {text}"
        if f.hint:
            text = f"{text}\nFix: {f.hint}"
        out.append(
            {
                "path": f.file,
                "start_line": line,
                "end_line": line,
                "annotation_level": "failure" if f.severity == "error" and not f.waived else "warning",
                "title": f"qualify {f.code}" + (f" (#{f.issue})" if f.issue is not None else ""),
                "message": text[:60_000],
            }
        )
    return out[:MAX_ANNOTATIONS]


def batches(items: list[Any], size: int = ANNOTATIONS_PER_REQUEST) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def check_run(
    api: Any, name: str, head_sha: str, verdict: Verdict | None, error: str | None, report_md: str, mode: str
) -> int:
    """Create a completed check run with the verdict; annotations go in batches of 50."""
    if verdict is None:
        conclusion, title = "failure", "qualify could not evaluate"
        notes: list[dict[str, Any]] = []
    else:
        conclusion = "success" if verdict.qualified else ("neutral" if mode == "report" else "failure")
        title = "Release qualified" if verdict.qualified else f"Not qualified: {len(verdict.problems)} problem(s)"
        notes = annotations(verdict.all_findings)
    text = fit_chars(report_md if verdict is not None else f"{report_md}\n\n{error or ''}", MAX_CHECK_TEXT)
    parts = batches(notes)
    output = {"title": title, "summary": text, "annotations": parts[0]}
    created = api.client.send_json(
        "POST",
        f"{api.repo.path}/check-runs",
        {"name": name, "head_sha": head_sha, "status": "completed", "conclusion": conclusion, "output": output},
        permission=CHECKS_WRITE,
    )
    run_id = created.get("id") if isinstance(created, dict) else None
    if not isinstance(run_id, int):
        raise GitHubError("GitHub API: the created check run has no id")
    for part in parts[1:]:
        api.client.send_json(
            "PATCH",
            f"{api.repo.path}/check-runs/{run_id}",
            {"output": {"title": title, "summary": text, "annotations": part}},
            permission=CHECKS_WRITE,
        )
    return run_id


def _warning(code: str, message: str) -> Finding:
    return Finding(
        code=code,
        severity="warning",
        message=message,
        hint="publishing never changes the verdict; the full report is in the job summary and the JSON report",
    )


def publish(
    api: Any, github: GitHubContext, wanted: PublishSettings, verdict: Verdict | None, error: str | None, mode: str
) -> list[Finding]:
    """Post the sticky comment and/or the check run; problems come back as warnings."""
    if not wanted.comment and not wanted.check_name:
        return []
    if api is None:
        return [_warning("publish-skipped", f"comment/check run skipped: {github.skip_reason()}")]

    def report(layout: str, max_chars: int) -> str:
        if verdict is None:
            return summary.render_error_summary(error or "")
        return summary.render_markdown(verdict, github.blob_base(), layout=layout, max_chars=max_chars)

    warnings: list[Finding] = []
    if wanted.comment:
        if github.pr_number is None:
            warnings.append(
                _warning("publish-skipped", "comment skipped: not a pull_request run (no pull request number)")
            )
        else:
            try:
                # The conversation column (780 px) would wrap the table to a few words a line: a list per defect.
                upsert_comment(api, github.pr_number, comment_body(report("list", MAX_COMMENT_CHARS)))
            except GitHubError as exc:
                warnings.append(
                    _warning("publish-failed", f"could not update the pull-request comment: {api.error(exc)}")
                )
    if wanted.check_name:
        head = github.head_sha or github.sha
        if not head:
            warnings.append(_warning("publish-skipped", "check run skipped: no commit to attach it to (GITHUB_SHA)"))
        else:
            try:
                check_run(api, wanted.check_name, head, verdict, error, report("table", MAX_CHECK_TEXT), mode)
            except GitHubError as exc:
                warnings.append(_warning("publish-failed", f"could not create the check run: {api.error(exc)}"))
    return warnings
