"""Tests of compare_json.py; standard library only."""

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

import compare_json as c

BASE = {"shape": "llama-3.2-1b", "device": "cuda:0", "device_name": "NVIDIA H200", "precision": "bf16",
        "quantization": "none", "seq": 2048, "batch": 1, "replicas": 1, "rank": 16, "alpha": 32,
        "targets": ["q_proj", "v_proj"], "gradient_checkpointing": True, "steps": 10}


class CompareTest(unittest.TestCase):

    def run_main(self, ours, peft):
        with tempfile.TemporaryDirectory() as d:
            paths = [Path(d, "ours.json"), Path(d, "peft.json")]
            for path, report in zip(paths, (ours, peft)):
                path.write_text(json.dumps(report))
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = c.main([str(p) for p in paths])
            return status, out.getvalue(), err.getvalue()

    def test_ratios_of_matching_runs(self):
        ours = dict(BASE, implementation="kubelora", tokens_per_second=12000.0, peak_memory_bytes=3 << 30)
        peft = dict(BASE, implementation="peft", tokens_per_second=10000.0, peak_memory_bytes=4 << 30)
        status, out, _ = self.run_main(ours, peft)
        self.assertEqual(0, status)
        self.assertIn("tokens/s ours/peft: 1.200", out)
        self.assertIn("peak memory ours/peft: 0.750", out)

    def test_different_settings_are_refused_by_name(self):
        status, _, err = self.run_main(dict(BASE, seq=1024), dict(BASE, device="cpu"))
        self.assertEqual(1, status)
        self.assertIn("seq: ours 1024, peft 2048", err)
        self.assertIn("device: ours 'cuda:0', peft 'cpu'", err)

    def test_another_gpu_index_is_the_same_kind_of_device(self):
        self.assertEqual([], c.mismatches(BASE, dict(BASE, device="cuda:1")))

    def test_missing_values_print_as_not_available(self):
        lines = c.table(dict(BASE, mfu=None), dict(BASE, mfu=0.41))
        self.assertTrue(any(line.startswith("mfu") and "n/a" in line for line in lines), lines)
        self.assertEqual("peak memory ours/peft: n/a", lines[-1])


if __name__ == "__main__":
    unittest.main()
