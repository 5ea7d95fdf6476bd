"""Compare the synth time of checkouts of the library, interleaved, against the same hand-written L1.

``make bench`` measures one checkout against L1; a change worth a few percent is lost in the
run-to-run spread of that ratio (docs/performance.md). This runs the library side of each checkout
given and the L1 side in a random order per round, each synth in a fresh process (``bench_synth.py
--one``, the same timed part), so that every round sees the same machine state, and prints each
side's median and its ratio to L1 (of the medians, and the median of each round's own ratio), and
each later checkout's paired ratio to the first one::

    git worktree add /tmp/variant <commit>
    .venv/bin/python bench/ab_synth.py --keys 50 --rounds 12 main=. variant=/tmp/variant

CDK's template validation is off unless ``--with-cdk-validation`` (it is the same work on both
sides and most of the spread). Not a test; nothing runs it but a person comparing variants.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_synth import ROOT, _run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="+", metavar="NAME=PATH", help="checkouts of the library to compare")
    parser.add_argument("--keys", type=int, default=50, help="API keys and application keys each (default 50)")
    parser.add_argument("--rounds", type=int, default=12, help="rounds, each one synth per side (default 12)")
    parser.add_argument("--with-cdk-validation", action="store_true", help="keep CDK's template validation on")
    args = parser.parse_args()
    checkouts = dict(item.split("=", 1) for item in args.checkouts)
    first = next(iter(checkouts))
    validation: bool = args.with_cdk_validation
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in [*checkouts, "L1"]}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.rounds):
            order = list(times)
            random.shuffle(order)
            for name in order:
                checkout = checkouts.get(name, ROOT)
                side = "l1" if name == "L1" else "library"
                script = os.path.join(checkout, "bench", "bench_synth.py")
                result = _run(side, args.keys, os.path.join(out, name), cdk_validation=validation, script=script)
                times[name].append((result["synth"], result["synth_cpu"]))
    state = "on" if validation else "off"
    print(f"{args.keys}+{args.keys} keys, {args.rounds} rounds, CDK's template validation {state}")
    for index, measure in enumerate(("synth wall s", "synth CPU s")):
        l1 = [t[index] for t in times["L1"]]
        print(f"{measure}: L1 {statistics.median(l1):.2f}")
        for name in checkouts:
            mine = [t[index] for t in times[name]]
            paired = statistics.median(a / b for a, b in zip(mine, l1, strict=True))
            ratio = statistics.median(mine) / statistics.median(l1)
            line = f"  {name}: {statistics.median(mine):.2f} ({ratio:.3f}x L1, paired {paired:.3f}x)"
            if name != first:
                base = [t[index] for t in times[first]]
                line += f", paired {statistics.median(a / b for a, b in zip(mine, base, strict=True)):.3f}x {first}"
            print(line)


if __name__ == "__main__":
    main()
