package io.kubelora.trainer.bench;

import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.model.ModelConfig;
import java.util.List;

/**
 * What one training benchmark runs: the options of bench/README.md's contract, resolved.
 *
 * @param shape   the shape's name (or the config file's name without .json), as the report names it
 * @param targets the adapted decoder linears, in decoder order
 * @param bf16    compute precision bf16 (else fp32)
 * @param offloadActivations checkpointed layer inputs in host memory
 * @param optimizerOffload   AdamW state in host memory
 */
record BenchSettings(String shape, ModelConfig config, int seq, int batch, int rank, double alpha, double dropout,
                     List<String> targets, boolean nf4, boolean checkpointing, boolean bf16, int steps, int warmup,
                     DeviceRequest device, long seed, boolean offloadActivations, boolean optimizerOffload) {

    BenchSettings {
        targets = List.copyOf(targets);
    }

    String precision() {
        return bf16 ? "bf16" : "fp32";
    }
}
