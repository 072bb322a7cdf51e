"""Open WebUI 0.12.4's screen beside ReChat's, one picture per screen name (ImageMagick `convert`).

    uv run python tools/screens/compare.py [--reference DIR] [--ours DIR] [--out DIR]

Reads every PNG the browser tests took (web/artifacts/screens, names as in the reference's
screens/), finds the reference screen of the same name, scales ReChat's to the reference's size
(the reference's mobile screens are at device pixel ratio 2) and writes `<name>.png` with Open
WebUI on the left, ReChat on the right, under a caption. Prints one JSON line per pair and the
names that have no counterpart on either side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "open-webui-0.12.4" / "screens"
if not REFERENCE.exists():  # a worktree under /work/wt: the shared folder is beside /work/main
    REFERENCE = Path("/work/shared/reference/open-webui-0.12.4/screens")


def size_of(convert: str, image: Path) -> str:
    """`WxH` of a PNG."""
    found = subprocess.run(  # noqa: S603 -- our own convert, our own file names
        [convert, str(image), "-format", "%wx%h", "info:"],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def pair(convert: str, reference: Path, ours: Path, out: Path) -> None:
    size = size_of(convert, reference)
    caption = f"{reference.stem}:  Open WebUI 0.12.4 (left)  |  ReChat (right)"
    subprocess.run(  # noqa: S603 -- our own convert, our own file names
        [
            convert,
            str(reference),
            "(",
            str(ours),
            "-resize",
            f"{size}!",
            ")",
            "-bordercolor",
            "#ff00aa",
            "-border",
            "2",
            "+append",
            "-gravity",
            "north",
            "-background",
            "white",
            "-splice",
            "0x36",
            "-pointsize",
            "22",
            "-annotate",
            "+0+6",
            caption,
            str(out),
        ],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--ours", type=Path, default=ROOT / "web" / "artifacts" / "screens")
    parser.add_argument("--out", type=Path, default=ROOT / "web" / "artifacts" / "compare")
    args = parser.parse_args()
    convert = shutil.which("convert")
    if convert is None:
        print("ImageMagick's convert is needed: apt-get install -y imagemagick", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    ours = {
        path.stem: path for path in args.ours.glob("*.png") if not path.stem.startswith("failed")
    }
    theirs = {path.stem: path for path in args.reference.glob("*.png")}
    for name in sorted(ours.keys() & theirs.keys()):
        target = args.out / f"{name}.png"
        pair(convert, theirs[name], ours[name], target)
        print(json.dumps({"screen": name, "picture": str(target)}))
    print(
        json.dumps(
            {
                "only_open_webui": sorted(theirs.keys() - ours.keys()),
                "only_rechat": sorted(ours.keys() - theirs.keys()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
