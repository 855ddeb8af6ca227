package io.kubelora.trainer.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.model.Architecture;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelShapes;
import io.kubelora.trainer.model.Preset;
import io.kubelora.trainer.model.WeightNames;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * kubelora bench: LoRA training throughput. With --shape or --config it is the benchmark of bench/README.md, the
 * same options and JSON report as bench/peft/train_peft.py; without, a small built-in Llama on the CPU measured
 * against a plain f32 matmul in the same process.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure LoRA training throughput: tokens/s, peak memory, achieved FLOP/s and MFU.",
                "With --shape or --config: a real model shape with random weights made on the device, the options "
                        + "and JSON report of bench/README.md (JSON on stdout, progress on stderr; defaults: seq "
                        + "2048, batch 1, bf16, 10 steps, --device cuda).",
                "Without: a built-in Llama of 4 layers, hidden 256, on the CPU against a plain f32 matmul (defaults: "
                        + "seq 256, batch 4, fp32, 20 steps, --device cpu)."})
public final class TrainBench implements Callable<Integer> {

    /** The built-in model's name in reports. */
    static final String BUILT_IN = "kubelora-small";

    @ArgGroup(exclusive = true)
    Source source;

    static final class Source {
        @Option(names = "--shape", paramLabel = "NAME", description = "A shipped shape, e.g. llama-3.2-1b.")
        String shape;

        @Option(names = "--config", paramLabel = "FILE", description = "Any Hugging Face config.json.")
        Path config;
    }

    @Option(names = "--seq", paramLabel = "N", description = "Tokens per sequence.")
    Integer seq;

    @Option(names = "--batch", paramLabel = "N", description = "Sequences per step (on each replica).")
    Integer batch;

    @Option(names = "--rank", paramLabel = "N", description = "LoRA rank r (default 16).")
    Integer rank;

    @Option(names = "--alpha", paramLabel = "N", description = "LoRA alpha (default 32).")
    Double alpha;

    @Option(names = "--dropout", paramLabel = "X", description = "LoRA dropout (default 0.0).")
    Double dropout;

    @Option(names = "--targets", paramLabel = "LIST",
            description = "all-linear (default) or a comma list of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,"
                    + "down_proj.")
    String targets;

    @Option(names = "--nf4", description = "QLoRA: decoder linears in NF4 (blocks of 64, double quantization).")
    boolean nf4;

    @Option(names = "--checkpointing", description = "Activation checkpointing: recompute each decoder layer.")
    boolean checkpointing;

    @Option(names = "--offload-activations",
            description = "With --checkpointing: the kept layer inputs in host memory (training.offloadActivations).")
    boolean offloadActivations;

    @Option(names = "--optimizer-offload", description = "AdamW state in host memory (training.optimizerOffload).")
    boolean optimizerOffload;

    @Option(names = "--precision", paramLabel = "bf16|fp32", description = "Compute precision.")
    String precision;

    @Option(names = "--bf16", description = "Same as --precision bf16.")
    boolean bf16;

    @Option(names = "--steps", paramLabel = "N", description = "Timed steps.")
    Integer steps;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed steps first (default 3).")
    Integer warmup;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N",
            description = "Where to run; a GPU that libtorch cannot use is an error, never a CPU run.")
    String device;

    @Option(names = "--replicas", paramLabel = "N",
            description = "Data-parallel replicas, each with its own batch of --batch sequences: one per GPU from "
                    + "--device on, or N threads sharing the CPU's cores (default 1).")
    Integer replicas;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    Path json;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds the random weights and tokens (default 42).")
    Long seed;

    @Option(names = "--vocab", paramLabel = "N", description = "Vocabulary of the built-in model (default 32000).")
    Integer vocab;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        boolean contract = source != null;
        if (contract && vocab != null) {
            throw usage("--vocab sets the built-in model's vocabulary; with --shape or --config the shape sets it");
        }
        BenchSettings settings = settings(contract);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchReport report = LoraBench.run(settings, contract ? err : out);
        if (json != null) {
            Files.writeString(json, report.toJson() + "\n");
        }
        if (contract) {
            err.println(report.summary());
            out.println(report.toJson());
        } else {
            printBuiltIn(out, report, plainMatmulFlopsPerSecond(report.device()));
        }
        out.flush();
        return 0;
    }

    private BenchSettings settings(boolean contract) {
        ModelConfig config;
        String shape;
        if (!contract) {
            config = Preset.SMALL.config(Architecture.LLAMA, atLeast("--vocab", or(vocab, 32000), 2), "bfloat16");
            shape = BUILT_IN;
        } else if (source.shape != null) {
            config = ModelShapes.config(source.shape);
            shape = source.shape;
        } else {
            config = ModelShapes.fromFile(source.config);
            String file = source.config.getFileName().toString();
            shape = file.endsWith(".json") ? file.substring(0, file.length() - ".json".length()) : file;
        }
        String precisionText = bf16 ? "bf16" : or(precision, contract ? "bf16" : "fp32");
        if (!precisionText.equals("bf16") && !precisionText.equals("fp32")) {
            throw usage("--precision must be bf16 or fp32, got '" + precisionText + "'");
        }
        double alphaValue = or(alpha, 32.0);
        double dropoutValue = or(dropout, 0.0);
        if (!(alphaValue > 0)) {
            throw usage("--alpha must be positive, got " + alphaValue);
        }
        if (!(dropoutValue >= 0 && dropoutValue < 1)) {
            throw usage("--dropout must be in [0, 1), got " + dropoutValue);
        }
        if (offloadActivations && !checkpointing) {
            throw usage("--offload-activations needs --checkpointing: only the checkpointed layer inputs are offloaded");
        }
        DeviceRequest deviceRequest;
        try {
            deviceRequest = DeviceRequest.option(device, contract ? "cuda" : "cpu", "pass --device cpu to measure "
                    + "the CPU instead");
            if (replicas != null) {
                deviceRequest = deviceRequest.withReplicas(replicas, "--replicas " + replicas);
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        return new BenchSettings(shape, config, atLeast("--seq", or(seq, contract ? 2048 : 256), 2),
                atLeast("--batch", or(batch, contract ? 1 : 4), 1), atLeast("--rank", or(rank, 16), 1), alphaValue,
                dropoutValue, targets(or(targets, "all-linear")), nf4, checkpointing, precisionText.equals("bf16"),
                atLeast("--steps", or(steps, contract ? 10 : 20), 1), atLeast("--warmup", or(warmup, 3), 0),
                deviceRequest, or(seed, 42L), offloadActivations, optimizerOffload);
    }

    /** "all-linear" or a comma list of decoder linears, returned in decoder order. */
    private List<String> targets(String text) {
        List<String> names = Arrays.stream(text.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        if (names.equals(List.of("all-linear"))) {
            return WeightNames.LINEAR_MODULES;
        }
        List<String> unknown = new ArrayList<>(names);
        unknown.removeAll(WeightNames.LINEAR_MODULES);
        if (!unknown.isEmpty() || names.isEmpty()) {
            throw usage("--targets: unknown module(s) " + (names.isEmpty() ? List.of(text) : unknown)
                    + (unknown.contains("lm_head") ? " (lm_head is never adapted)" : "") + "; use all-linear or names "
                    + "from " + String.join(",", WeightNames.LINEAR_MODULES));
        }
        return WeightNames.LINEAR_MODULES.stream().filter(names::contains).toList();
    }

    private static void printBuiltIn(PrintWriter out, BenchReport r, double matmulFlops) {
        BenchSettings s = r.settings();
        ModelConfig c = s.config();
        double achieved = r.achievedTflops() * 1e12;
        out.printf(Locale.ROOT, "config: llama %d layers, hidden %d, vocab %d, seq %d, batch %d%s, LoRA r=%d %s%s%s, "
                        + "%s %s, %d threads%n", c.numHiddenLayers(), c.hiddenSize(), c.vocabSize(), s.seq(), s.batch(),
                r.replicas() > 1 ? " on each of " + r.replicas() + " replicas" : "",
                s.rank(), s.targets().equals(WeightNames.LINEAR_MODULES) ? "all-linear" : String.join(",", s.targets()),
                s.nf4() ? ", nf4 base" : "", s.checkpointing() ? ", checkpointing" : "", r.device(), s.precision(),
                Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "step time:        %.1f ms (median)%n", r.stepTimeMs());
        out.printf(Locale.ROOT, "tokens/s:         %.0f%s%n", r.tokensPerSecond(), r.replicas() > 1
                ? String.format(Locale.ROOT, " (%.0f per replica)", r.tokensPerSecond() / r.replicas()) : "");
        out.printf(Locale.ROOT, "achieved:         %.2f GFLOP/s (%.1f MFLOP per token)%n", achieved / 1e9,
                r.flopsPerToken() / 1e6);
        out.printf(Locale.ROOT, "plain f32 matmul: %.2f GFLOP/s (1024x1024x1024)%n", matmulFlops / 1e9);
        out.printf(Locale.ROOT, "ratio:            %.2f%n", achieved / matmulFlops);
        if (r.device().equals("cpu")) {
            out.printf(Locale.ROOT, "peak RSS:         %d MiB%n", r.peakMemoryBytes() >> 20);
        } else {
            out.println("GPU memory:       " + r.memory());
        }
    }

    /** The device's f32 matmul rate, the ceiling the built-in benchmark is compared with. */
    private static double plainMatmulFlopsPerSecond(String device) {
        int n = 1024;
        Device on = device.startsWith("cuda:") ? Device.gpu(Integer.parseInt(device.substring(5))) : Device.cpu();
        try (NDManager manager = NDManager.newBaseManager(on, "PyTorch")) {
            NDArray a = manager.randomNormal(new Shape(n, n));
            NDArray b = manager.randomNormal(new Shape(n, n));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            int reps = 20;
            long start = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // waits for an asynchronous device
                }
            }
            return reps * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9);
        }
    }

    private int atLeast(String option, int value, int least) {
        if (value < least) {
            throw usage(option + " must be at least " + least + ", got " + value);
        }
        return value;
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
