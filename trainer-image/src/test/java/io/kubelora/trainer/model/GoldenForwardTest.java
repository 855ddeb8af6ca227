package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.kubelora.trainer.data.Batch;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DJL logits and losses equal an independent float64 reference forward, for each architecture. */
class GoldenForwardTest {

    static Stream<Arguments> configs() {
        return Stream.of(
                // llama3 rope scaling with all three frequency regimes present at head_dim 8 (wavelengths 6, 63,
                // 628, 6283 against bounds 16 and 64)
                Arguments.of("llama, llama3 rope", TinyModel.config(Architecture.LLAMA,
                        RopeScaling.llama3(8.0, 1.0, 4.0, 64), false)),
                Arguments.of("mistral", TinyModel.config(Architecture.MISTRAL, null, false)),
                Arguments.of("mistral, sliding window 4", TinyModel.config(Architecture.MISTRAL, null, false)
                        .toBuilder().slidingWindow(4).bosTokenId(null).eosTokenIds(List.of()).build()),
                Arguments.of("qwen2, q/k/v bias, tied embeddings", TinyModel.config(Architecture.QWEN2, null, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void logitsMatchReference(String name, ModelConfig config, @TempDir Path dir) throws Exception {
        TinyModel tiny = TinyModel.write(config, 11, dir);
        long[] ids = {1, 7, 42, 3, 3, 19, 0, 49, 25, 8, 11, 30, 2};
        double[][] expected = new ReferenceForward(config, tiny.weights).logits(ids);
        try (CausalLm model = CausalLm.load(dir, ModelOptions.on(Device.cpu()).withSeed(1))) {
            float[][] actual = model.logits(ids);
            assertEquals(ids.length, actual.length);
            double maxError = 0;
            for (int p = 0; p < ids.length; p++) {
                for (int v = 0; v < config.vocabSize(); v++) {
                    maxError = Math.max(maxError, Math.abs(actual[p][v] - expected[p][v]));
                }
            }
            assertEquals(0, maxError, 1e-4, name + ": largest logit error");
            float[][] last = model.logits(ids, true);
            assertEquals(1, last.length);
            assertEquals(actual[ids.length - 1][5], last[0][5], 1e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void paddedBatchLossMatchesReference(String name, ModelConfig config, @TempDir Path dir) throws Exception {
        TinyModel tiny = TinyModel.write(config, 5, dir);
        long ignore = Batch.IGNORE;
        // Row 0: 6 tokens, loss on the last 3; row 1: 4 tokens right-padded to 6, loss on 2.
        long[] inputs = {4, 9, 16, 25, 36, 49, 8, 6, 7, 5, 0, 0};
        long[] targets = {ignore, ignore, 25, 36, 49, 1, ignore, 7, 5, ignore, ignore, ignore};
        ReferenceForward reference = new ReferenceForward(config, tiny.weights);
        double expected = reference.lossSum(new long[] {4, 9, 16, 25, 36, 49}, new long[] {ignore, ignore, 25, 36, 49, 1})
                + reference.lossSum(new long[] {8, 6, 7, 5}, new long[] {ignore, 7, 5, ignore});
        try (CausalLm model = CausalLm.load(dir, ModelOptions.on(Device.cpu()).withSeed(1))) {
            LossSum loss = model.loss(new Batch(2, 6, inputs, targets));
            assertEquals(6, loss.tokens());
            assertEquals(expected, loss.sum(), 1e-4 * Math.max(1, Math.abs(expected)), name);
        }
    }
}
