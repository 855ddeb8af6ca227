package io.kubelora.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

/**
 * Dense bf16 tensor-core peaks of GPUs (resources bench/gpu-peaks.json, shared with bench/peft/train_peft.py): the
 * first entry whose pattern is found in the name CUDA reports, case-insensitive, gives the device's peak.
 */
final class GpuPeaks {

    private static final String RESOURCE = "bench/gpu-peaks.json";

    private GpuPeaks() {
    }

    /** TFLOP/s of the GPU named {@code deviceName}, or null for a GPU the table does not list. */
    static Double bf16TeraFlops(String deviceName) {
        try (InputStream in = GpuPeaks.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            for (JsonNode gpu : new ObjectMapper().readTree(in).path("gpus")) {
                if (Pattern.compile(gpu.path("pattern").asText(), Pattern.CASE_INSENSITIVE).matcher(deviceName).find()) {
                    return gpu.path("bf16_dense_tflops").asDouble();
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
