"""What keeping a draft costs the keystroke: DraftStore.put() for a note of about 2 KB.

    .venv/bin/python bench/drafts.py [--puts 2000] [--note-bytes 2048] [--others 5] [--folder DIR]

Each put stands for one keystroke on a note already NOTE_BYTES long (the note grows by one
character a put, as typing does), in a store that also holds OTHERS drafts of the same size for
other referrals. put() runs on the GUI thread, so its median and tail are what the advisor could
feel. The store's folder is a fresh temporary one on the file system of --folder (default: the
system's temporary folder; point it at the disk the desk's data folder is on to measure that).
If the store has a compact() (the snapshot written in the background once typing pauses), its
cost is timed too, once after the run. The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from cras_desk.drafts import DraftStore

REFERRAL, FIELD = 7, "notes"
# Synthetic call-note wording, repeated to the size asked for.
WORDS = "Daughter answers; mornings only; wants Hove; son drives on Tuesdays; hearing aid. "


def note_of(size: int) -> str:
    return (WORDS * (size // len(WORDS) + 1))[:size]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=2000)
    parser.add_argument("--note-bytes", type=int, default=2048)
    parser.add_argument("--others", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args(argv)

    base = note_of(args.note_bytes)
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        store = DraftStore("bench", Path(folder))
        for other in range(args.others):
            store.put(1000 + other, FIELD, base)
        costs = []
        text = base
        for n in range(args.puts):
            text += WORDS[n % len(WORDS)]
            started = time.perf_counter_ns()
            store.put(REFERRAL, FIELD, text)
            costs.append((time.perf_counter_ns() - started) / 1000)
        compact_ms = None
        compact = getattr(store, "compact", None)
        if compact is not None:
            started = time.perf_counter_ns()
            compact()
            compact_ms = round((time.perf_counter_ns() - started) / 1e6, 3)
        close = getattr(store, "close", None)
        if close is not None:
            close()
        assert DraftStore("bench", Path(folder)).get(REFERRAL, FIELD) == text
    costs.sort()
    print(
        json.dumps(
            {
                "puts": args.puts,
                "note_bytes": args.note_bytes,
                "other_drafts": args.others,
                "put_median_us": round(statistics.median(costs), 1),
                "put_p95_us": round(costs[int(len(costs) * 0.95)], 1),
                "put_max_us": round(costs[-1], 1),
                "compact_ms": compact_ms,
            }
        )
    )


if __name__ == "__main__":
    main()
