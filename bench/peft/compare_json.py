#!/usr/bin/env python3
"""Compares two bench reports (ours and peft's, bench/README.md): refuses reports whose settings differ,
then prints a side-by-side table and the ratios ours/peft. Standard library only.

    compare_json.py OURS.json PEFT.json
"""

import json
import sys

# Settings that must be equal for the two figures to be comparable.
SETTINGS = ("shape", "precision", "quantization", "seq", "batch", "replicas", "rank", "alpha", "targets",
            "gradient_checkpointing", "steps")
ROWS = ("tokens_per_second", "step_time_ms", "peak_memory_bytes", "peak_reserved_bytes", "achieved_tflops",
        "mfu", "parameters", "trainable_parameters", "loss_first", "loss_last")


def mismatches(ours, peft):
    """'field: ours X, peft Y' for every setting (and device kind) that differs."""
    problems = [f"{k}: ours {ours.get(k)!r}, peft {peft.get(k)!r}" for k in SETTINGS if ours.get(k) != peft.get(k)]
    kinds = [str(r.get("device", "")).split(":")[0] for r in (ours, peft)]
    if kinds[0] != kinds[1]:
        problems.append(f"device: ours {ours.get('device')!r}, peft {peft.get('device')!r}")
    return problems


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return None
    return a / b


def table(ours, peft):
    """Lines of the side-by-side comparison, ending with the two headline ratios."""
    width = max(len(r) for r in ROWS)
    lines = [f"{'':{width}}  {'ours':>16}  {'peft':>16}  {'ours/peft':>9}"]
    for row in ROWS:
        r = ratio(ours.get(row), peft.get(row))
        lines.append(f"{row:{width}}  {fmt(ours.get(row)):>16}  {fmt(peft.get(row)):>16}  "
                     f"{'' if r is None else f'{r:.3f}':>9}")
    speed = ratio(ours.get("tokens_per_second"), peft.get("tokens_per_second"))
    memory = ratio(ours.get("peak_memory_bytes"), peft.get("peak_memory_bytes"))
    lines.append(f"tokens/s ours/peft: {fmt(speed, 3)}")
    lines.append(f"peak memory ours/peft: {fmt(memory, 3)}")
    return lines


def fmt(value, digits=None):
    if value is None:
        return "n/a"
    if digits is not None:
        return f"{value:.{digits}f}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    reports = []
    for path in argv:
        try:
            with open(path, encoding="utf-8") as f:
                reports.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"compare_json: {path}: {e}", file=sys.stderr)
            return 2
    ours, peft = reports
    problems = mismatches(ours, peft)
    if problems:
        print("compare_json: the two runs used different settings:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"{ours['shape']} on {ours.get('device_name')}: seq {ours['seq']}, batch {ours['batch']}, "
          f"{ours['precision']}, quantization {ours['quantization']}, LoRA r={ours['rank']}")
    print("\n".join(table(ours, peft)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
