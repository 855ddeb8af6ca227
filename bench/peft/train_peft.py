#!/usr/bin/env python3
"""LoRA / QLoRA training throughput of Hugging Face transformers + peft, for side-by-side runs with
`./kubelora bench`: same model shape (a config.json, random weights, nothing downloaded), same LoRA
settings, same batch and sequence length, same JSON report (see bench/README.md for the contract).

Public packages only: torch, transformers, peft, and bitsandbytes for --nf4. They are imported inside
main(), so the arithmetic below (FLOPs, parameter counts, GPU peaks, argument checks) can be tested with
the standard library alone.
"""

import argparse
import json
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "trainer-image" / "src" / "main" / "resources"
SHAPES_DIR = RESOURCES / "shapes"
GPU_PEAKS_FILE = RESOURCES / "bench" / "gpu-peaks.json"

# The decoder linears LoRA may adapt, in decoder order; "all-linear" means all of them (never lm_head).
LINEAR_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LEARNING_RATE = 1e-4
MAX_GRAD_NORM = 1.0


class UsageError(Exception):
    """Bad input: reported as one line naming the option, exit status 2."""


# ---------------------------------------------------------------------------------------------------
# Arguments (the Java `./kubelora bench` accepts exactly the same options)
# ---------------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="train_peft.py", description=__doc__.split("\n\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--shape", metavar="NAME", help="a model shape: " + ", ".join(shape_names()))
    source.add_argument("--config", metavar="FILE", help="a Hugging Face config.json")
    p.add_argument("--seq", type=int, default=2048, metavar="N", help="sequence length (2048)")
    p.add_argument("--batch", type=int, default=1, metavar="N", help="sequences per step (1)")
    p.add_argument("--rank", type=int, default=16, metavar="N", help="LoRA rank r (16)")
    p.add_argument("--alpha", type=float, default=32, metavar="N", help="LoRA alpha (32)")
    p.add_argument("--dropout", type=float, default=0.0, metavar="X", help="LoRA dropout (0.0)")
    p.add_argument("--targets", default="all-linear", metavar="LIST",
                   help="all-linear or a comma list of " + ",".join(LINEAR_MODULES) + " (all-linear)")
    p.add_argument("--nf4", action="store_true", help="QLoRA: NF4 base linears (bitsandbytes)")
    p.add_argument("--checkpointing", action="store_true", help="recompute each decoder layer in backward")
    p.add_argument("--precision", choices=("bf16", "fp32"), default="bf16", help="compute precision (bf16)")
    p.add_argument("--steps", type=int, default=10, metavar="N", help="timed steps (10)")
    p.add_argument("--warmup", type=int, default=3, metavar="N", help="untimed steps first (3)")
    p.add_argument("--device", default="cuda", metavar="DEV", help="cuda, cuda:N or cpu (cuda)")
    p.add_argument("--json", metavar="FILE", help="also write the report to FILE")
    p.add_argument("--seed", type=int, default=42, metavar="N", help="weights and tokens seed (42)")
    args = p.parse_args(argv)
    check_args(args)
    return args


def check_args(args):
    for name, least in (("seq", 2), ("batch", 1), ("rank", 1), ("steps", 1), ("warmup", 0)):
        if getattr(args, name) < least:
            raise UsageError(f"--{name} must be at least {least}, got {getattr(args, name)}")
    if args.alpha <= 0:
        raise UsageError(f"--alpha must be positive, got {args.alpha:g}")
    if not 0 <= args.dropout < 1:
        raise UsageError(f"--dropout must be in [0, 1), got {args.dropout:g}")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", args.device):
        raise UsageError(f"--device must be cuda, cuda:N or cpu, got '{args.device}'")
    args.targets = resolve_targets(args.targets)


def resolve_targets(text):
    """The adapted linears in decoder order: 'all-linear' or a comma list of LINEAR_MODULES names."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["all-linear"]:
        return list(LINEAR_MODULES)
    unknown = [n for n in names if n not in LINEAR_MODULES]
    if unknown or not names:
        hint = " (lm_head is never adapted)" if "lm_head" in unknown else ""
        raise UsageError(f"--targets: unknown module(s) {unknown or [text]}{hint}; "
                         f"use all-linear or names from {','.join(LINEAR_MODULES)}")
    return [m for m in LINEAR_MODULES if m in names]


def shape_names():
    return sorted(p.stem for p in SHAPES_DIR.glob("*.json"))


def read_model_config(shape, config_file):
    """The config.json dict of a shape name or a file."""
    path = SHAPES_DIR / f"{shape}.json" if shape else Path(config_file)
    if shape and not path.is_file():
        raise UsageError(f"--shape: unknown shape '{shape}'; known: {', '.join(shape_names())}")
    if not path.is_file():
        raise UsageError(f"--config: {path}: not found")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise UsageError(f"{path}: not valid JSON: {e}") from e
    for field in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"):
        if not isinstance(config.get(field), int):
            raise UsageError(f"{path}: field '{field}' is missing or not an integer")
    return config


# ---------------------------------------------------------------------------------------------------
# Arithmetic shared with the Java side (bench/README.md states the same formulas)
# ---------------------------------------------------------------------------------------------------

def dims(config):
    """(D, I, L, H, KV, hd, V) of a config.json dict, with the transformers defaults."""
    d, heads = config["hidden_size"], config["num_attention_heads"]
    kv = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or d // heads
    return (d, config["intermediate_size"], config["num_hidden_layers"], heads, kv, head_dim,
            config["vocab_size"])


def linear_shapes(config):
    """{module: (in_features, out_features)} of one decoder layer."""
    d, i, _, heads, kv, hd, _ = dims(config)
    return {"q_proj": (d, heads * hd), "k_proj": (d, kv * hd), "v_proj": (d, kv * hd),
            "o_proj": (heads * hd, d), "gate_proj": (d, i), "up_proj": (d, i), "down_proj": (i, d)}


def frozen_matmul_weights(config):
    """N: weights of every matmul a token goes through (decoder linears and the lm_head, tied or not)."""
    d, _, layers, _, _, _, vocab = dims(config)
    per_layer = sum(a * b for a, b in linear_shapes(config).values())
    return layers * per_layer + vocab * d


def lora_parameters(config, rank, targets):
    """Trainable LoRA weights: r * (in + out) per adapted linear, A [r, in] plus B [out, r]."""
    shapes = linear_shapes(config)
    return config["num_hidden_layers"] * sum(rank * sum(shapes[m]) for m in targets)


def model_parameters(config):
    """All base parameters: embedding, decoder linears (+ Qwen2's q/k/v biases), norms, untied lm_head."""
    d, _, layers, heads, kv, hd, vocab = dims(config)
    biases = (heads + 2 * kv) * hd if config.get("model_type") == "qwen2" or config.get("attention_bias") else 0
    if config.get("attention_bias") and config.get("model_type") == "llama":
        biases += d  # Llama's attention_bias also biases o_proj
    per_layer = sum(a * b for a, b in linear_shapes(config).values()) + biases + 2 * d
    head = 0 if config.get("tie_word_embeddings") else vocab * d
    return vocab * d + layers * per_layer + d + head


def flops_per_token(config, seq, rank, targets):
    """Training FLOPs per token, MFU convention (checkpointing recompute not counted):
    4 N for the frozen matmuls (2 N forward, 2 N backward to the activations; frozen weights get no
    weight gradient), 6 N_lora for the LoRA matmuls (forward, activation and weight gradients), and
    12 L T H hd for attention: Q K^T and P V each take 2 T (H hd) FLOPs per token forward, 4 T H hd
    together, and backward takes twice the forward, so 3 x 4 T H hd per layer (no causal discount)."""
    _, _, layers, heads, _, head_dim, _ = dims(config)
    return (4 * frozen_matmul_weights(config) + 6 * lora_parameters(config, rank, targets)
            + 12 * layers * seq * heads * head_dim)


def load_gpu_peaks(path=GPU_PEAKS_FILE):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))["gpus"]
    except (OSError, ValueError, KeyError) as e:
        print(f"train_peft: cannot read the GPU peak table {path}: {e}; MFU will be null", file=sys.stderr)
        return []


def peak_tflops(device_name, peaks):
    """Dense bf16 peak of a GPU: the first table entry whose regex is found in the name (case-insensitive)."""
    if device_name:
        for entry in peaks:
            if re.search(entry["pattern"], device_name, re.IGNORECASE):
                return entry["bf16_dense_tflops"]
    return None


def throughput(config, args, step_seconds, peak):
    """The timing part of the report from the timed step durations."""
    step = statistics.median(step_seconds)
    tokens_per_second = args.batch * args.seq / step
    per_token = flops_per_token(config, args.seq, args.rank, args.targets)
    achieved = tokens_per_second * per_token / 1e12
    return {"step_time_ms": round(step * 1000, 3), "tokens_per_second": round(tokens_per_second, 1),
            "flops_per_token": per_token, "achieved_tflops": significant(achieved), "peak_tflops": peak,
            "mfu": None if peak is None else significant(achieved / peak)}


def significant(x, digits=6):
    return float(f"{x:.{digits}g}")


def report(shape, args, device, device_name, quantization, timing, memory, counts, losses, versions):
    """The JSON object both implementations print, keys in contract order."""
    alpha = int(args.alpha) if float(args.alpha).is_integer() else args.alpha
    return {"implementation": "peft", "shape": shape, "device": device, "device_name": device_name,
            "precision": args.precision, "quantization": quantization, "seq": args.seq, "batch": args.batch,
            "replicas": 1, "rank": args.rank, "alpha": alpha, "targets": list(args.targets),
            "gradient_checkpointing": args.checkpointing, "steps": args.steps,
            "step_time_ms": timing["step_time_ms"], "tokens_per_second": timing["tokens_per_second"],
            "peak_memory_bytes": memory[0], "peak_reserved_bytes": memory[1],
            "parameters": counts[0], "trainable_parameters": counts[1],
            "flops_per_token": timing["flops_per_token"], "achieved_tflops": timing["achieved_tflops"],
            "peak_tflops": timing["peak_tflops"], "mfu": timing["mfu"],
            "loss_first": losses[0], "loss_last": losses[-1], "versions": versions}


# ---------------------------------------------------------------------------------------------------
# The run (torch, transformers, peft)
# ---------------------------------------------------------------------------------------------------

def log(message):
    print(f"train_peft: {message}", file=sys.stderr, flush=True)


def pick_device(torch, name):
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name}: torch {torch.__version__} (CUDA {torch.version.cuda}) sees no "
                             "usable CUDA device; pass --device cpu to measure the CPU instead")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise UsageError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) visible")
        device = torch.device("cuda", index)
        torch.cuda.set_device(device)
        return device, torch.cuda.get_device_name(device)
    return device, cpu_name()


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_model(config_dict, dtype, device):
    """The model with random weights, made directly on the device through AutoConfig.from_pretrained,
    exactly as a checkpoint's config.json is read."""
    from transformers import AutoConfig, AutoModelForCausalLM
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "config.json").write_text(json.dumps(config_dict), encoding="utf-8")
        config = AutoConfig.from_pretrained(tmp)
    config.use_cache = False
    with device:  # a torch.device is a context manager: parameters are created and initialised on it
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
    return model


def decoder_layers(model):
    layers = getattr(getattr(model, "model", None), "layers", None)
    if layers is None:
        raise UsageError(f"{type(model).__name__} has no model.layers: not a Llama-family decoder")
    return layers


def quantize_to_nf4(torch, model, compute_dtype, device):
    """QLoRA base: every decoder linear becomes a bitsandbytes Linear4bit (NF4, blocks of 64, double
    quantization, compute in compute_dtype). Embeddings, norms and lm_head stay 16-bit."""
    import bitsandbytes as bnb
    for layer in decoder_layers(model):
        for parent in (layer.self_attn, layer.mlp):
            for name in LINEAR_MODULES:
                linear = getattr(parent, name, None)
                if linear is None:
                    continue
                q = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                      compute_dtype=compute_dtype, compress_statistics=True, quant_type="nf4",
                                      device="meta")
                q.weight = bnb.nn.Params4bit(linear.weight.data, requires_grad=False, compress_statistics=True,
                                             quant_type="nf4", module=q).to(device)  # .to quantizes
                if linear.bias is not None:
                    q.bias = torch.nn.Parameter(linear.bias.data, requires_grad=False)
                setattr(parent, name, q)
    try:
        model.is_loaded_in_4bit = True  # peft dispatches its bitsandbytes LoRA layer on this flag
    except AttributeError:
        pass
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return bnb.__version__


def attach_lora(model, args, nf4):
    from peft import LoraConfig, get_peft_model
    lora = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=args.dropout,
                      target_modules=list(args.targets), bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)  # adapter weights in fp32 (autocast_adapter_dtype)
    if nf4:
        import bitsandbytes as bnb
        wrapped = [m for m in model.modules() if hasattr(m, "base_layer") and hasattr(m, "lora_A")]
        plain = [type(m.base_layer).__name__ for m in wrapped if not isinstance(m.base_layer, bnb.nn.Linear4bit)]
        if plain:
            raise RuntimeError(f"--nf4: {len(plain)} adapted layers are not 4-bit ({plain[0]})")
    return model


def make_optimizer(torch, params):
    try:
        return torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.0, fused=True), "fused"
    except (RuntimeError, ValueError, TypeError):
        return torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.0, foreach=True), "foreach"


def train_steps(torch, model, optimizer, params, batch, args, device):
    """warmup + steps AdamW steps on one fixed batch; returns (timed step seconds, losses)."""
    seconds, losses = [], []
    for step in range(args.warmup + args.steps):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss = model(input_ids=batch, labels=batch, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - start
        losses.append(round(loss.item(), 6))
        if step >= args.warmup:
            seconds.append(elapsed)
        log(f"step {step + 1}/{args.warmup + args.steps}: loss {losses[-1]:.4f}, {elapsed * 1000:.1f} ms"
            + (" (warmup)" if step < args.warmup else ""))
    return seconds, losses


def run(args):
    config = read_model_config(args.shape, args.config)
    shape = args.shape or Path(args.config).stem
    try:
        import torch
        import transformers
        import peft
    except ImportError as e:
        raise UsageError(f"this script needs torch, transformers and peft: {e}") from e
    if args.nf4:
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as e:
            raise UsageError("--nf4 needs bitsandbytes, which is not importable here "
                             f"({e}); install it or run without --nf4") from e
    device, device_name = pick_device(torch, args.device)
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    torch.manual_seed(args.seed)
    log(f"{shape} on {device} ({device_name}), {args.precision}, LoRA r={args.rank} alpha={args.alpha:g} "
        f"{','.join(args.targets)}{', nf4' if args.nf4 else ''}{', checkpointing' if args.checkpointing else ''}")
    model = build_model(config, dtype, device)
    base_parameters = sum(p.numel() for p in model.parameters())
    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__, "peft": peft.__version__,
                "cuda": torch.version.cuda, "bitsandbytes": None}
    if args.nf4:
        versions["bitsandbytes"] = quantize_to_nf4(torch, model, dtype, device)
    if args.checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if not all(getattr(layer, "gradient_checkpointing", False) for layer in decoder_layers(model)):
            log("warning: the decoder layers do not report gradient_checkpointing=True")
    model = attach_lora(model, args, args.nf4)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    expected = lora_parameters(config, args.rank, args.targets)
    if trainable != expected:
        raise RuntimeError(f"peft made {trainable} trainable parameters, the LoRA formula says {expected}")
    optimizer, kind = make_optimizer(torch, params)
    log(f"{base_parameters:,} base parameters, {trainable:,} trainable, AdamW ({kind})")
    generator = torch.Generator().manual_seed(args.seed)
    batch = torch.randint(0, config["vocab_size"], (args.batch, args.seq), generator=generator).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds, losses = train_steps(torch, model, optimizer, params, batch, args, device)
    if device.type == "cuda":
        memory = (torch.cuda.max_memory_allocated(device), torch.cuda.max_memory_reserved(device))
    else:
        memory = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, None)
    peak = peak_tflops(device_name, load_gpu_peaks()) if device.type == "cuda" else None
    return report(shape, args, str(device), device_name, "nf4" if args.nf4 else "none",
                  throughput(config, args, seconds, peak), memory, (base_parameters + trainable, trainable),
                  losses, versions)


def main(argv=None):
    try:
        args = parse_args(argv)
        result = run(args)
    except UsageError as e:
        print(f"train_peft: {e}", file=sys.stderr)
        return 2
    text = json.dumps(result)
    print(text, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
