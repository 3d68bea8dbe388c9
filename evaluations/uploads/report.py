"""The upload report: one JSON-ready dict shared by the admin preview, the batch page, the
API response and the command's output, so every way in explains problems the same way."""

from __future__ import annotations

from typing import Any

from evaluations.uploads.validation import Problem, ValidationResult

# Enough to fix a file in one go; a file with more problems than this has a systematic fault
# that the first few thousand lines already show.
MAX_PROBLEMS_LISTED = 5000


def report_build(
    *,
    result: ValidationResult,
    site_slug: str,
    file_name: str,
    sha256: str,
    file_format: str,
    counts: dict[str, int],
    sample_changes: list[dict[str, Any]] | None = None,
    previous_import: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Shape a validation result and the diff counts as the portal's upload report."""
    errors = [p.to_dict() for p in result.errors[:MAX_PROBLEMS_LISTED]]
    warnings = [p.to_dict() for p in result.warnings[:MAX_PROBLEMS_LISTED]]
    return {
        "site": site_slug,
        "file_name": file_name,
        "sha256": sha256,
        "format": file_format,
        "ok": result.ok,
        "counts": {
            "total": result.rows_total,
            "new": counts.get("new", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
            "rejected": result.rows_rejected,
            "skipped": result.rows_skipped,
            "blank": result.blank_rows,
        },
        "errors": errors,
        "warnings": warnings,
        "errors_total": len(result.errors),
        "warnings_total": len(result.warnings),
        "truncated": len(result.errors) > MAX_PROBLEMS_LISTED
        or len(result.warnings) > MAX_PROBLEMS_LISTED,
        "sample_changes": sample_changes or [],
        "previous_import": previous_import,
    }


def report_lines(report: dict[str, Any]) -> list[str]:
    """Plain-text lines for the command line: a summary, then ``row N, column X: message``."""
    counts = report["counts"]
    lines = [
        f"{report['file_name']} for {report['site']}: {counts['total']} rows read, "
        f"{counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['rejected']} rejected, {counts['skipped']} skipped totals rows.",
    ]
    if report.get("previous_import"):
        prev = report["previous_import"]
        lines.append(
            f"This identical file was imported before on {prev['imported_at']} "
            f"(batch {prev['batch_id']} by {prev['uploaded_by']}); nothing was changed."
        )
    for kind in ("errors", "warnings"):
        items = report[kind]
        if not items:
            continue
        lines.append(f"{report[f'{kind}_total']} {kind}:")
        for item in items:
            problem = Problem(**item)
            prefix = "" if kind == "errors" else "warning: "
            lines.append(f"{prefix}{problem.as_line()} (fix: {problem.fix})")
        if report[f"{kind}_total"] > len(items):
            lines.append(f"… and {report[f'{kind}_total'] - len(items)} more {kind}.")
    return lines
