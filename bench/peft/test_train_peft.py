"""Tests of train_peft.py's arithmetic and argument handling; standard library only (no torch needed).

    python3 -m unittest discover -s bench -p 'test_*.py'
"""

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

import train_peft as t

ALL = list(t.LINEAR_MODULES)


def shape(name):
    return t.read_model_config(name, None)


class ShapesTest(unittest.TestCase):

    def test_parameter_counts_equal_the_published_model_sizes(self):
        published = {"llama-3.2-1b": 1_235_814_400, "llama-3.2-3b": 3_212_749_824,
                     "llama-3.1-8b": 8_030_261_248, "llama-3-8b": 8_030_261_248,
                     "llama-3.1-70b": 70_553_706_496, "mistral-7b-v0.3": 7_248_023_552,
                     "qwen2.5-0.5b": 494_032_768, "qwen2.5-7b": 7_615_616_512, "smollm2-135m": 134_515_008}
        self.assertEqual(sorted(published), t.shape_names())
        for name, count in published.items():
            self.assertEqual(count, t.model_parameters(shape(name)), name)

    def test_lora_all_linear_rank_16(self):
        self.assertEqual(11_272_192, t.lora_parameters(shape("llama-3.2-1b"), 16, ALL))
        self.assertEqual(41_943_040, t.lora_parameters(shape("llama-3.1-8b"), 16, ALL))
        # q and v only: r (D + H hd) + r (D + KV hd) per layer
        self.assertEqual(16 * (16 * 4096 + 16 * 2560), t.lora_parameters(shape("llama-3.2-1b"), 16, ["q_proj", "v_proj"]))

    def test_unknown_shape_names_the_known_ones(self):
        with self.assertRaisesRegex(t.UsageError, "unknown shape 'llama-9b'; known: .*llama-3.2-1b"):
            t.read_model_config("llama-9b", None)

    def test_config_file_missing_field_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d, "config.json")
            path.write_text(json.dumps({"hidden_size": 64}))
            with self.assertRaisesRegex(t.UsageError, "field 'intermediate_size' is missing"):
                t.read_model_config(None, str(path))


class FlopsTest(unittest.TestCase):

    def test_llama_3_2_1b_at_2048(self):
        c = shape("llama-3.2-1b")
        # N = 16 layers x (2 x 2048 x 2048 + 2 x 2048 x 512 + 3 x 2048 x 8192) + lm_head 128256 x 2048
        n = 16 * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192) + 128256 * 2048
        self.assertEqual(1_235_746_816, n)
        self.assertEqual(n, t.frozen_matmul_weights(c))
        attention = 12 * 16 * 2048 * 32 * 64
        self.assertEqual(4 * n + 6 * 11_272_192 + attention, t.flops_per_token(c, 2048, 16, ALL))

    def test_attention_term_grows_with_the_sequence(self):
        c = shape("llama-3.1-8b")
        delta = t.flops_per_token(c, 4096, 16, ALL) - t.flops_per_token(c, 2048, 16, ALL)
        self.assertEqual(12 * 32 * 2048 * 32 * 128, delta)

    def test_throughput_and_mfu(self):
        args = t.parse_args(["--shape", "llama-3.2-1b", "--seq", "1024", "--batch", "2"])
        timing = t.throughput(shape("llama-3.2-1b"), args, [0.5, 0.2, 0.25], peak=100.0)
        self.assertEqual(250.0, timing["step_time_ms"])  # median
        self.assertEqual(8192.0, timing["tokens_per_second"])
        per_token = t.flops_per_token(shape("llama-3.2-1b"), 1024, 16, ALL)
        self.assertAlmostEqual(8192 * per_token / 1e12, timing["achieved_tflops"], places=3)
        self.assertAlmostEqual(timing["achieved_tflops"] / 100.0, timing["mfu"], places=4)
        self.assertIsNone(t.throughput(shape("llama-3.2-1b"), args, [0.25], peak=None)["mfu"])


class GpuPeaksTest(unittest.TestCase):

    def test_names_as_cuda_reports_them(self):
        peaks = t.load_gpu_peaks()
        cases = {"NVIDIA H100 80GB HBM3": 989.5, "NVIDIA H100 PCIe": 756.5, "NVIDIA H100 NVL": 835.5,
                 "NVIDIA H200": 989.5, "NVIDIA H200 NVL": 835.5, "NVIDIA A100-SXM4-80GB": 312.0,
                 "NVIDIA A100 80GB PCIe": 312.0, "NVIDIA A10": 125.0, "NVIDIA A10G": None,
                 "NVIDIA L4": 121.0, "NVIDIA L40": 181.05, "NVIDIA L40S": 362.05,
                 "NVIDIA GeForce RTX 4090": 165.2, "Tesla V100-SXM2-16GB": None, None: None}
        for name, peak in cases.items():
            self.assertEqual(peak, t.peak_tflops(name, peaks), name)

    def test_missing_table_gives_no_peak(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual([], t.load_gpu_peaks("/nonexistent/gpu-peaks.json"))
        self.assertIn("MFU will be null", err.getvalue())


class ArgumentsTest(unittest.TestCase):

    def test_defaults_are_the_contract(self):
        a = t.parse_args(["--shape", "llama-3.2-1b"])
        self.assertEqual((2048, 1, 16, 32, 0.0, ALL, False, False, "bf16", 10, 3, "cuda", None, 42),
                         (a.seq, a.batch, a.rank, a.alpha, a.dropout, a.targets, a.nf4, a.checkpointing,
                          a.precision, a.steps, a.warmup, a.device, a.json, a.seed))

    def test_targets_in_decoder_order_without_duplicates(self):
        self.assertEqual(["q_proj", "v_proj", "down_proj"], t.resolve_targets("down_proj,v_proj,q_proj,v_proj"))
        with self.assertRaisesRegex(t.UsageError, "lm_head is never adapted"):
            t.resolve_targets("q_proj,lm_head")

    def test_bad_values_name_the_option(self):
        for argv, message in ((["--seq", "1"], "--seq must be at least 2"),
                              (["--alpha", "0"], "--alpha must be positive"),
                              (["--dropout", "1"], r"--dropout must be in \[0, 1\)"),
                              (["--device", "gpu"], "--device must be cuda, cuda:N or cpu"),
                              (["--steps", "0"], "--steps must be at least 1")):
            with self.assertRaisesRegex(t.UsageError, message):
                t.parse_args(["--shape", "llama-3.2-1b"] + argv)

    def test_shape_or_config_is_required(self):
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            t.parse_args(["--seq", "128"])

    def test_report_has_the_contract_keys_in_order(self):
        args = t.parse_args(["--shape", "smollm2-135m", "--alpha", "16"])
        timing = t.throughput(shape("smollm2-135m"), args, [0.1], None)
        r = t.report("smollm2-135m", args, "cpu", "x", "none", timing, (1, None), (2, 1), [11.0, 10.5], {})
        self.assertEqual(["implementation", "shape", "device", "device_name", "precision", "quantization", "seq",
                          "batch", "replicas", "rank", "alpha", "targets", "gradient_checkpointing", "steps", "step_time_ms",
                          "tokens_per_second", "peak_memory_bytes", "peak_reserved_bytes", "parameters",
                          "trainable_parameters", "flops_per_token", "achieved_tflops", "peak_tflops", "mfu",
                          "loss_first", "loss_last", "versions"], list(r))
        self.assertEqual(16, r["alpha"])
        self.assertIsInstance(r["alpha"], int)
        self.assertEqual((11.0, 10.5), (r["loss_first"], r["loss_last"]))


if __name__ == "__main__":
    unittest.main()
