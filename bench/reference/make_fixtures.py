#!/usr/bin/env python3
"""Reference logits from Hugging Face transformers (and peft) for the tiny models our tests regenerate.

For each architecture prepared by bench/reference/prepare.sh, loads the model folder with transformers in
fp32, runs fixed token ids, and records logits; then loads the adapter our trainer wrote with peft's
PeftModel and records those logits too. The result is trainer-image/src/test/resources/reference/<arch>.json,
which HuggingFaceReferenceTest compares with our own logits.

    python3 bench/reference/make_fixtures.py [--work .kubelora/reference] [--arch llama ...]

A full row of logits has one value per vocabulary entry (128k-152k for the bundled tokenizers), so a fixture
keeps, per recorded position: the values at a fixed set of columns spread evenly over the whole vocabulary
(first and last id included), the top-k ids and values, and the logsumexp over the full row. The hidden
state feeding lm_head is 64-wide, so 257 evenly spread columns pin it down several times over, the top-k
values check the largest logits wherever they are, and the logsumexp checks every column at once.
"""

import argparse
import hashlib
import heapq
import json
import math
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "trainer-image" / "src" / "test" / "resources" / "reference"
ARCHES = ("llama", "mistral", "qwen2")
SEQUENCE_LENGTH = 128
POSITIONS = (0, 1, 5, 17, 42, 77, 101, 127)
COLUMNS = 257
TOP_K = 8
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def token_ids(vocab_size, length=SEQUENCE_LENGTH, seed=20251129):
    """Fixed pseudo-random ids over the whole vocabulary (a 31-bit LCG, so any language reproduces them)."""
    ids, x = [], seed
    for _ in range(length):
        x = (1103515245 * x + 12345) % (1 << 31)
        ids.append(x % vocab_size)
    return ids


def columns(vocab_size, count=COLUMNS):
    """count column ids spread evenly from 0 to vocab_size - 1."""
    return sorted({k * (vocab_size - 1) // (count - 1) for k in range(count)})


def round7(x):
    """7 significant digits: far below the 1e-4 tolerance for logits of magnitude < 100."""
    return float(f"{x:.7g}")


def logsumexp(row):
    top = max(row)
    return top + math.log(math.fsum(math.exp(v - top) for v in row))


def position_record(position, row, cols, k=TOP_K):
    """What the fixture keeps of one row of logits (a list of floats over the vocabulary)."""
    top = heapq.nlargest(k, range(len(row)), key=row.__getitem__)
    return {"position": position, "logsumexp": round7(logsumexp(row)),
            "values": [round7(row[c]) for c in cols],
            "top_ids": top, "top_logits": [round7(row[i]) for i in top]}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fixture(arch, init, vocab_size, ids, base_rows, adapter_rows, model_sha, adapter_shas, versions):
    cols = columns(vocab_size)
    return {"format": 1, "arch": arch, "init": init, "model_sha256": model_sha, "adapter_sha256": adapter_shas,
            "reference": {"dtype": "float32", "attn_implementation": "eager", "versions": versions},
            "vocab_size": vocab_size, "token_ids": ids, "columns": cols,
            "base": [position_record(p, base_rows[i], cols) for i, p in enumerate(POSITIONS)],
            "adapter": [position_record(p, adapter_rows[i], cols) for i, p in enumerate(POSITIONS)]}


def logits_rows(torch, model, ids):
    """Rows of logits at POSITIONS, as lists of Python floats."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0]  # [T, V]
    return [out[p].double().tolist() for p in POSITIONS]


def make(arch, work, out_dir):
    import torch
    import transformers
    import peft
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model_dir = work / arch / "model"
    adapter_dir = RESOURCES / arch / "adapter"
    init_file = work / arch / "init.json"
    needed = [model_dir / "config.json", model_dir / "model.safetensors", init_file]
    for path in needed + [adapter_dir / f for f in ADAPTER_FILES]:
        if not path.is_file():
            sys.exit(f"make_fixtures: {path} is missing: run bench/reference/prepare.sh first")
    init = json.loads(init_file.read_text(encoding="utf-8"))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    vocab_size = model.config.vocab_size
    ids = token_ids(vocab_size)
    base_rows = logits_rows(torch, model, ids)
    with_adapter = PeftModel.from_pretrained(model, str(adapter_dir))  # wraps the same model: base rows come first
    with_adapter.eval()
    adapter_rows = logits_rows(torch, with_adapter, ids)
    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__, "peft": peft.__version__}
    result = fixture(arch, init, vocab_size, ids, base_rows, adapter_rows, sha256(model_dir / "model.safetensors"),
                     {f: sha256(adapter_dir / f) for f in ADAPTER_FILES}, versions)
    path = out_dir / f"{arch}.json"
    path.write_text(json.dumps(result, separators=(",", ":")) + "\n", encoding="utf-8")
    shift = max(abs(a - b) for r1, r2 in zip(base_rows, adapter_rows) for a, b in zip(r1, r2))
    print(f"make_fixtures: {path} ({path.stat().st_size // 1024} KiB); the adapter moves logits by up to {shift:.3f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=REPO / ".kubelora" / "reference",
                   help="folder prepare.sh wrote (<arch>/model, <arch>/init.json)")
    p.add_argument("--arch", action="append", choices=ARCHES, help="only this architecture (repeatable)")
    p.add_argument("--out", type=Path, default=RESOURCES, help="where <arch>.json goes")
    args = p.parse_args(argv)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
        import peft  # noqa: F401
    except ImportError as e:
        sys.exit(f"make_fixtures: needs torch, transformers and peft: {e}")
    args.out.mkdir(parents=True, exist_ok=True)
    for arch in args.arch or ARCHES:
        make(arch, args.work, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
