"""The compliance engine over 100,000 synthetic cases, against a floor measured in the same run.

    python bench/bench_check.py [--cases 100000] [--seed 7]

Generates ``--cases`` varied cases from the four sample cases of ``tests/samples.py`` (general
penalty, forestry inspection, simple procedure, coercion), each with 0–4 random defects (late AV
uploads across holidays, missing signatures, approvals, AV, segments with gaps, case files formed
late ...),
assigns each a random one of the five agency profiles, then times:

  floor   one pass touching every act, record, AV segment, approval and service of each case:
          the least any per-case check has to do;
  check   ``evaluate(case, profile, calendar, now)`` for every case.

Prints cases per second, the ratio check/floor, the time for one case (median of 2,000 runs of
the complete general case under the largest profile), the number of findings, and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from liuhen.domain.av import Retention
from liuhen.domain.case import Case
from liuhen.rules import WorkCalendar, evaluate, load_profile

# The sample cases are test factories (tests/samples.py), not package code: reach them from
# the checkout this script runs in, whatever the working directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.samples import SAMPLES, at, drop, edit  # noqa: E402

PROFILES = (
    "shanxi-township",
    "pengyang-bureau",
    "township-legal-office",
    "zhangying-town",
    "shanxi-forestry",
)
NOW = at("2026-11-23 09:00")


def _late_upload(case: Case, rng: random.Random) -> Case:
    av = rng.choice(case.av_records)
    return edit(
        case,
        "av_records",
        av.id,
        stored_at=av.ended_at + timedelta(hours=rng.choice((6, 20, 30, 50, 80, 200))),
    )


def _not_stored(case: Case, rng: random.Random) -> Case:
    return edit(case, "av_records", rng.choice(case.av_records).id, stored_at=None)


def _no_av(case: Case, rng: random.Random) -> Case:
    return drop(case, "av_records", rng.choice(case.av_records).id)


def _unsigned(case: Case, rng: random.Random) -> Case:
    record = rng.choice(case.text_records)
    return edit(case, "text_records", record.id, signatures=record.signatures[:1])


def _no_approval(case: Case, rng: random.Random) -> Case:
    return drop(case, "approvals", rng.choice(case.approvals).id) if case.approvals else case


def _gap(case: Case, rng: random.Random) -> Case:
    av = rng.choice(case.av_records)
    seg = av.segments[0]
    middle = seg.start + (seg.end - seg.start) / 2
    split = (
        replace(seg, end=middle),
        replace(seg, start=middle + timedelta(minutes=rng.choice((1, 5))), sha256=""),
    )
    return edit(case, "av_records", av.id, segments=split)


def _late_file(case: Case, rng: random.Random) -> Case:
    if case.case_file is None or case.ended_at is None:
        return case
    formed = case.ended_at + timedelta(days=rng.choice((10, 25, 40)))
    return replace(case, case_file=replace(case.case_file, formed_at=formed, handed_over_at=formed))


def _short_retention(case: Case, rng: random.Random) -> Case:
    return edit(case, "av_records", rng.choice(case.av_records).id, retention=Retention("3y"))


def _uncertified(case: Case, rng: random.Random) -> Case:
    act = rng.choice(case.acts)
    return edit(case, "acts", act.id, officer_ids=act.officer_ids[:1], certificates_shown=None)


def _open_case(case: Case, rng: random.Random) -> Case:
    return replace(case, ended_at=None, case_file=None)


DEFECTS = (_late_upload, _not_stored, _no_av, _unsigned, _no_approval, _gap, _late_file, _short_retention,
           _uncertified, _open_case)  # fmt: skip


def synthesize(n: int, seed: int) -> list[tuple[Case, str]]:
    rng = random.Random(seed)
    templates = [factory() for factory in SAMPLES.values()]
    out: list[tuple[Case, str]] = []
    for i in range(n):
        case = replace(rng.choice(templates), id=f"B-{i:06d}")
        for defect in rng.sample(DEFECTS, rng.randint(0, 4)):
            case = defect(case, rng)
        out.append((case, rng.choice(PROFILES)))
    return out


def floor_pass(cases: list[tuple[Case, str]]) -> int:
    touched = 0
    for case, _ in cases:
        for collection in (
            case.acts,
            case.text_records,
            case.approvals,
            case.services,
            case.execution,
        ):
            for item in collection:
                touched += len(item.id)
        for av in case.av_records:
            for seg in av.segments:
                touched += seg.end > seg.start
    return touched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    calendar = WorkCalendar()
    profiles = {pid: load_profile(pid) for pid in PROFILES}
    t0 = time.perf_counter()
    cases = synthesize(args.cases, args.seed)
    generate_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    floor_pass(cases)
    floor_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    findings = 0
    for case, pid in cases:
        findings += len(evaluate(case, profiles[pid], calendar, NOW))
    check_s = time.perf_counter() - t0

    one = SAMPLES["general"]()
    largest = max(profiles.values(), key=lambda p: len(p.rules))
    samples = []
    for _ in range(2000):
        s = time.perf_counter()
        evaluate(one, largest, calendar, NOW)
        samples.append(time.perf_counter() - s)
    one_ms = statistics.median(samples) * 1000

    rate = args.cases / check_s
    print(f"cases: {args.cases} (generated in {generate_s:.1f} s), findings: {findings}")
    print(
        f"floor: {floor_s:.2f} s   check: {check_s:.2f} s   ratio check/floor = {check_s / floor_s:.0f}"
    )
    print(f"throughput: {rate:,.0f} cases/s")
    print(
        f"one case: {one_ms:.3f} ms (median, general case, {largest.id}, {len(largest.rules)} rules)"
    )
    print(json.dumps({
        "benchmark": "compliance_check", "cases": args.cases, "seed": args.seed, "findings": findings,
        "floor_seconds": round(floor_s, 3), "check_seconds": round(check_s, 3),
        "ratio": round(check_s / floor_s, 1), "cases_per_second": round(rate), "one_case_ms": round(one_ms, 3),
        "python": platform.python_version(),
    }))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
