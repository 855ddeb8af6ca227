package io.kubelora.trainer.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report of one training benchmark, key for key and in the order of bench/README.md, so that
 * bench/peft/compare_json.py can set it beside train_peft.py's. Null values are unknown (MFU on a CPU, the
 * allocated peak without a readable allocator). With several replicas, tokens per second are all replicas' and the
 * memory peaks the largest device's.
 */
record BenchReport(BenchSettings settings, String device, String deviceName, int replicas, double stepTimeMs,
                   double tokensPerSecond, Long peakMemoryBytes, Long peakReservedBytes, long parameters,
                   long trainableParameters, long flopsPerToken, double achievedTflops, Double peakTflops, Double mfu,
                   double lossFirst, double lossLast, Map<String, String> versions) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The contract's keys in order. */
    Map<String, Object> fields() {
        BenchSettings s = settings;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("implementation", "kubelora");
        f.put("shape", s.shape());
        f.put("device", device);
        f.put("device_name", deviceName);
        f.put("precision", s.precision());
        f.put("quantization", s.nf4() ? "nf4" : "none");
        f.put("seq", s.seq());
        f.put("batch", s.batch());
        f.put("replicas", replicas);
        f.put("rank", s.rank());
        f.put("alpha", s.alpha() == Math.rint(s.alpha()) ? (Object) (long) s.alpha() : (Object) s.alpha());
        f.put("targets", List.copyOf(s.targets()));
        f.put("gradient_checkpointing", s.checkpointing());
        f.put("steps", s.steps());
        f.put("step_time_ms", round(stepTimeMs, 3));
        f.put("tokens_per_second", round(tokensPerSecond, 1));
        f.put("peak_memory_bytes", peakMemoryBytes);
        f.put("peak_reserved_bytes", peakReservedBytes);
        f.put("parameters", parameters);
        f.put("trainable_parameters", trainableParameters);
        f.put("flops_per_token", flopsPerToken);
        f.put("achieved_tflops", significant(achievedTflops));
        f.put("peak_tflops", peakTflops);
        f.put("mfu", mfu == null ? null : significant(mfu));
        f.put("loss_first", round(lossFirst, 6));
        f.put("loss_last", round(lossLast, 6));
        f.put("versions", versions);
        return f;
    }

    String toJson() {
        try {
            return JSON.writeValueAsString(fields());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for people: "llama-3.2-1b on cuda:0 (NVIDIA H200): 24,512 tokens/s, ...". */
    String summary() {
        return String.format(Locale.ROOT, "%s on %s (%s)%s: %,.0f tokens/s, step %.1f ms, %s, %.3g TFLOP/s achieved%s, "
                        + "loss %.4f -> %.4f", settings.shape(), device, deviceName,
                replicas > 1 ? ", " + replicas + " replicas" : "", tokensPerSecond, stepTimeMs, memory(),
                achievedTflops, mfu == null ? "" : String.format(Locale.ROOT, ", MFU %.3f", mfu), lossFirst, lossLast);
    }

    /** "peak allocated 5.21 GiB, reserved 6.00 GiB" on a GPU, "peak RSS 1.68 GiB" on a CPU; unknown values say so. */
    String memory() {
        return device.startsWith("cuda")
                ? "peak allocated " + gib(peakMemoryBytes) + ", reserved " + gib(peakReservedBytes)
                : "peak RSS " + gib(peakMemoryBytes);
    }

    private static String gib(Long bytes) {
        return bytes == null ? "unknown" : String.format(Locale.ROOT, "%.2f GiB", bytes / GIB);
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** Six significant digits, as the peft side writes them. */
    static double significant(double value) {
        return value == 0 || !Double.isFinite(value) ? value
                : Double.parseDouble(String.format(Locale.ROOT, "%.6g", value));
    }
}
