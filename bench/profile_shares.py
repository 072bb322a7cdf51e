"""Shares of CPU samples per function in py-spy's collapsed stacks (`bench/pipeline.py --profile`).

    uv run python bench/profile_shares.py /tmp/prof [--top 30] [--match live_500]

For each file (one part, one process): the samples, then the functions by inclusive share
(the samples whose stack holds the function) and by self share (the samples it was running).
Printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _function(frame: str) -> str:
    """`func (pkg/module.py:12)` as `pkg/module.py:func` (lines dropped: one entry per function)."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['file']}:{match['name']}"


def shares(path: Path, top: int) -> dict[str, Any]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_function(frame) for frame in stack.split(";")]
        for function in set(frames):
            inclusive[function] += samples
        if frames:
            own[frames[-1]] += samples

    def table(counter: Counter[str]) -> dict[str, float]:
        return {name: round(100 * n / max(1, total), 1) for name, n in counter.most_common(top)}

    return {"samples": total, "inclusive_pct": table(inclusive), "self_pct": table(own)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only files whose name contains this")
    args = parser.parse_args()
    report = {
        path.stem: shares(path, args.top)
        for path in sorted(args.directory.glob("*.txt"))
        if args.match in path.name
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
