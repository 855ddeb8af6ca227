package io.kubelora.trainer.merge;

import io.kubelora.trainer.lora.PeftAdapter;
import io.kubelora.trainer.lora.PeftAdapterConfig;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.ShardedWeights;
import io.kubelora.trainer.safetensors.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a merge will do, worked out from the safetensors headers alone before anything is written: every base
 * tensor in the order its data lies on disk, and for each adapted linear its A and B. All mismatches between
 * adapter and model (missing partner matrix, module the model lacks, rank or shape that does not fit) are
 * collected and reported together in one {@link MergeInputException}.
 */
final class MergePlan {

    /** A base tensor and the file that holds it. */
    record SourceTensor(SafetensorsFile file, TensorInfo info) {
        String name() {
            return info.name();
        }
    }

    /** A linear with a LoRA update: its base weight [out, in], A [r, in] and B [out, r]. */
    record AdaptedLinear(String weightName, TensorInfo a, TensorInfo b, int outFeatures, int inFeatures) {
    }

    /** PEFT adapter keys with the adapter name stripped, as save_pretrained writes them. */
    private static final Pattern LORA_KEY = Pattern.compile(
            Pattern.quote(PeftAdapter.KEY_PREFIX) + "(.+)\\.lora_([AB])\\.weight");

    private final List<SourceTensor> tensors;
    private final Map<String, AdaptedLinear> adaptedByWeight;
    private final double scaling;
    private final int rank;

    private MergePlan(List<SourceTensor> tensors, Map<String, AdaptedLinear> adaptedByWeight, double scaling,
                      int rank) {
        this.tensors = tensors;
        this.adaptedByWeight = adaptedByWeight;
        this.scaling = scaling;
        this.rank = rank;
    }

    /**
     * Checks {@code adapter} (described by {@code config}) against {@code base}; {@code context} starts the
     * error message, e.g. "adapter X does not fit model Y".
     */
    static MergePlan create(ShardedWeights base, SafetensorsFile adapter, PeftAdapterConfig config, String context)
            throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, TensorInfo[]> pairsByModule = new TreeMap<>(); // module path -> {A, B}
        for (TensorInfo t : adapter.tensors()) {
            Matcher m = LORA_KEY.matcher(t.name());
            if (!m.matches()) {
                problems.add("adapter tensor '" + t.name() + "' is not a LoRA A/B matrix of a linear layer "
                        + "(expected " + PeftAdapter.KEY_PREFIX + "<module>.lora_A.weight or .lora_B.weight; "
                        + "embedding adapters, DoRA magnitudes and modules_to_save are not supported)");
                continue;
            }
            pairsByModule.computeIfAbsent(m.group(1), k -> new TensorInfo[2])[m.group(2).equals("A") ? 0 : 1] = t;
        }
        if (adapter.tensors().isEmpty()) {
            problems.add(adapter.path() + " holds no tensors");
        }
        Map<String, AdaptedLinear> adapted = new LinkedHashMap<>();
        int r = config.rank();
        for (Map.Entry<String, TensorInfo[]> e : pairsByModule.entrySet()) {
            String module = e.getKey();
            TensorInfo a = e.getValue()[0];
            TensorInfo b = e.getValue()[1];
            if (a == null || b == null) {
                TensorInfo present = a == null ? b : a;
                problems.add("adapter tensor '" + present.name() + "' has no partner '"
                        + key(module, a == null ? "A" : "B") + "'");
                continue;
            }
            String leaf = module.substring(module.lastIndexOf('.') + 1);
            if (!config.targetModules().contains(leaf)) {
                problems.add("adapter tensor '" + a.name() + "' adapts '" + leaf + "', which adapter_config.json "
                        + "target_modules " + config.targetModules() + " does not list");
            }
            String weightName = module + ".weight";
            if (!base.contains(weightName)) {
                problems.add("adapter tensor '" + a.name() + "' targets '" + weightName + "', which the base model "
                        + "does not have (adapter trained for a different model or architecture?)");
                continue;
            }
            TensorInfo w = base.info(weightName);
            int before = problems.size();
            checkFloat(problems, "base tensor", w);
            checkFloat(problems, "adapter tensor", a);
            checkFloat(problems, "adapter tensor", b);
            long[] ws = w.shape();
            long[] as = a.shape();
            long[] bs = b.shape();
            if (ws.length != 2) {
                problems.add("base tensor '" + weightName + "' has shape " + Arrays.toString(ws)
                        + ", not the [out, in] of a linear layer");
            }
            if (as.length != 2 || bs.length != 2) {
                problems.add("adapter tensors '" + a.name() + "' " + Arrays.toString(as) + " and '" + b.name()
                        + "' " + Arrays.toString(bs) + " must both be matrices");
            }
            if (problems.size() > before) {
                continue;
            }
            if (as[0] != r) {
                problems.add("rank mismatch: '" + a.name() + "' has shape " + Arrays.toString(as) + " (rank "
                        + as[0] + ") but adapter_config.json has r = " + r);
            }
            if (bs[1] != r) {
                problems.add("rank mismatch: '" + b.name() + "' has shape " + Arrays.toString(bs) + " (rank "
                        + bs[1] + ") but adapter_config.json has r = " + r);
            }
            if (as[1] != ws[1]) {
                problems.add("shape mismatch: '" + a.name() + "' has " + as[1] + " input features but base '"
                        + weightName + "' " + Arrays.toString(ws) + " has " + ws[1]);
            }
            if (bs[0] != ws[0]) {
                problems.add("shape mismatch: '" + b.name() + "' has " + bs[0] + " output features but base '"
                        + weightName + "' " + Arrays.toString(ws) + " has " + ws[0]);
            }
            if (problems.size() == before) {
                if ((long) r * ws[1] > Integer.MAX_VALUE - 8 || (long) ws[0] * r > Integer.MAX_VALUE - 8) {
                    problems.add("adapter tensors of '" + weightName + "' are too large to merge");
                } else {
                    adapted.put(weightName, new AdaptedLinear(weightName, a, b, (int) ws[0], (int) ws[1]));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new MergeInputException(context, problems);
        }
        List<SourceTensor> tensors = new ArrayList<>();
        for (String name : base.names()) {
            tensors.add(new SourceTensor(base.file(name), base.info(name)));
        }
        // Data order: shard file by shard file (model-00001-of-... sorts first), then by offset, so reads stream.
        tensors.sort(Comparator.comparing((SourceTensor t) -> t.file().path().getFileName().toString())
                .thenComparingLong(t -> t.info().begin()));
        return new MergePlan(List.copyOf(tensors), adapted, config.scaling(), r);
    }

    /** Every base tensor, in on-disk order. */
    List<SourceTensor> tensors() {
        return tensors;
    }

    /** The adapted linear whose weight is {@code weightName}, or null when it is copied unchanged. */
    AdaptedLinear adapted(String weightName) {
        return adaptedByWeight.get(weightName);
    }

    int adaptedCount() {
        return adaptedByWeight.size();
    }

    /** Reads A and B of {@code linear} from {@code adapter} as the update to apply. */
    LoraDelta delta(SafetensorsFile adapter, AdaptedLinear linear) throws IOException {
        return new LoraDelta(linear.weightName(), rank, linear.outFeatures(), linear.inFeatures(),
                adapter.readFloats(linear.a().name()), adapter.readFloats(linear.b().name()), scaling);
    }

    private static void checkFloat(List<String> problems, String what, TensorInfo t) {
        if (!t.dtype().isFloatingPoint()) {
            problems.add(what + " '" + t.name() + "' has dtype " + t.dtype().headerName()
                    + ", not a floating-point type (a pre-quantized base cannot be merged into; use the 16-bit "
                    + "original)");
        }
    }

    private static String key(String module, String matrix) {
        return PeftAdapter.KEY_PREFIX + module + ".lora_" + matrix + ".weight";
    }
}
