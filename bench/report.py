"""The table the load benchmark prints, and the comparisons against the targets."""

from __future__ import annotations

import math
from typing import Any

from bench.scenarios import FLOOR_OF, TARGETS, Scenario


def compare(scenarios: list[Scenario], results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {s.name: s for s in scenarios}
    out = []
    for name, floor in FLOOR_OF.items():
        if name not in results or floor not in results:
            continue
        r, f = results[name], results[floor]
        target = TARGETS[by_name[name].group]
        ratio = r["rps"] / f["rps"] if f["rps"] else 0.0
        spread = r["p99_ms"] / r["p50_ms"] if r["p50_ms"] else math.inf
        reasons = []
        if ratio < target.min_ratio:
            reasons.append("ratio")
        if r["errors"]:
            reasons.append("errors")
        if not spread < target.max_p99_over_p50:
            reasons.append("p99")
        if f["errors"]:
            reasons.append("floor errors")
        out.append(
            {
                "scenario": name,
                "floor": floor,
                "ratio": round(ratio, 3),
                "p99_over_p50": round(spread, 2),
                "target_ratio": target.min_ratio,
                "target_p99_over_p50": target.max_p99_over_p50,
                "pass": not reasons,
                "below_on": reasons,
            }
        )
    return out


def _num(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def table(
    scenarios: list[Scenario],
    results: dict[str, dict[str, Any]],
    comparisons: list[dict[str, Any]],
) -> str:
    verdicts = {c["scenario"]: c for c in comparisons}
    header = (
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99/p50",
        "errors",
        "srv ms/req",
        "ratio",
        "target",
        "verdict",
    )
    rows: list[tuple[str, ...]] = []
    for s in scenarios:
        r = results.get(s.name)
        if r is None:
            continue
        c = verdicts.get(s.name)
        spread = r["p99_ms"] / r["p50_ms"] if r["p50_ms"] else math.nan
        if c is None:
            ratio = "(floor)"
            target = ""
            verdict = ""
        else:
            ratio = f"{c['ratio']:.2f}"
            target = f">={c['target_ratio']:.1f}, 0 err, p99<4xp50"
            verdict = "PASS" if c["pass"] else "BELOW (" + ", ".join(c["below_on"]) + ")"
        rows.append(
            (
                ("  " if s.floor else "") + s.label,
                _num(r["rps"], 1),
                _num(r["p50_ms"], 2),
                _num(r["p99_ms"], 2),
                _num(spread, 1),
                str(r["errors"]),
                _num(r.get("server_cpu_ms_per_request"), 3),
                ratio,
                target,
                verdict,
            )
        )
    return _aligned(header, rows, [s for s in scenarios if s.name in results], len(header) - 2)


def _aligned(
    header: tuple[str, ...], rows: list[tuple[str, ...]], scenarios: list[Scenario], numbers: int
) -> str:
    """Columns 1..`numbers` right-aligned, a blank line between groups."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if 1 <= i <= numbers else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    group = None
    for s, row in zip(scenarios, rows, strict=True):
        if group is not None and s.group != group:
            out.append("")
        group = s.group
        out.append(line(row))
    return "\n".join(out)


def tails(scenarios: list[Scenario], results: dict[str, dict[str, Any]]) -> str:
    """Where each tail comes from: the server's full garbage collections in the measured
    window (bench/gc_pauses.py) and how many of the requests at or above p99 were in flight
    during one; for the spread reads, each member's first request apart from its repeats."""
    header = (
        "tails",
        "p99/p50",
        "full GCs",
        "longest GC ms",
        ">=p99 in a GC",
        "their time in GC",
        "first p50/p99 ms",
        "repeat p50/p99 ms",
    )
    shown = [s for s in scenarios if s.name in results]
    rows: list[tuple[str, ...]] = []
    for s in shown:
        r = results[s.name]
        rows.append(
            (
                ("  " if s.floor else "") + s.label,
                _num(r["p99_ms"] / r["p50_ms"] if r["p50_ms"] else math.nan, 1),
                str(r.get("full_collections", "-")),
                _num(r.get("longest_full_collection_ms"), 1),
                f"{r['p99_requests_in_full_collection']}/{r['p99_requests']}"
                if "p99_requests" in r
                else "-",
                _num(100 * r["p99_time_in_full_collection"], 0) + "%"
                if "p99_time_in_full_collection" in r
                else "-",
                _split(r.get("first")),
                _split(r.get("repeat")),
            )
        )
    return _aligned(header, rows, shown, 5)


def _split(part: dict[str, Any] | None) -> str:
    if not part or not part["requests"]:
        return "-"
    return f"{_num(part['p50_ms'], 1)}/{_num(part['p99_ms'], 1)} ({part['requests']})"


def markdown(
    scenarios: list[Scenario],
    results: dict[str, dict[str, Any]],
    comparisons: list[dict[str, Any]],
) -> str:
    verdicts = {c["scenario"]: c for c in comparisons}
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | p99/p50 | errors | server CPU ms/req "
        "| ratio to floor | target | verdict |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for s in scenarios:
        r = results.get(s.name)
        if r is None:
            continue
        c = verdicts.get(s.name)
        spread = r["p99_ms"] / r["p50_ms"] if r["p50_ms"] else math.nan
        label = f"*{s.label}*" if s.floor else f"`{s.label}`"
        if c is None:
            ratio, target, verdict = "floor", "", ""
        else:
            ratio = f"{c['ratio']:.2f}"
            target = f"≥ {c['target_ratio']:.1f}"
            verdict = "PASS" if c["pass"] else "BELOW (" + ", ".join(c["below_on"]) + ")"
        lines.append(
            f"| {label} | {_num(r['rps'], 1)} | {_num(r['p50_ms'], 2)} | {_num(r['p99_ms'], 2)}"
            f" | {_num(spread, 1)} | {r['errors']}"
            f" | {_num(r.get('server_cpu_ms_per_request'), 3)} | {ratio} | {target} | {verdict} |"
        )
    return "\n".join(lines)
