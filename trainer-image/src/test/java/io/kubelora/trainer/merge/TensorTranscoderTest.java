package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kubelora.trainer.merge.ShardLayout.OutputTensor;
import io.kubelora.trainer.safetensors.DType;
import io.kubelora.trainer.safetensors.HalfFloats;
import io.kubelora.trainer.safetensors.SafetensorsFile;
import io.kubelora.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorTranscoderTest {

    private static final int OUT = 1100;
    private static final int IN = 1000; // [1100, 1000]: 1.1 Mi elements, a full block and a partial one
    private static final int RANK = 3;
    private static final int CONVERTED = TensorTranscoder.BLOCK_ELEMENTS + 7;

    @TempDir
    Path tmp;

    @Test
    void tensorsLongerThanOneBlockAreMergedAndConvertedWhole() throws IOException {
        SplittableRandom random = new SplittableRandom(9);
        Path source = tmp.resolve("base.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("w", DType.BF16, new long[] {OUT, IN}),
                new SafetensorsWriter.Entry("x", DType.F32, new long[] {CONVERTED}));
        try (SafetensorsWriter writer = SafetensorsWriter.create(source, entries, Map.of("format", "pt"))) {
            writer.write("w", uniform(OUT * IN, random));
            writer.write("x", uniform(CONVERTED, random));
        }
        LoraDelta delta = new LoraDelta("w", RANK, OUT, IN, uniform(RANK * IN, random), uniform(OUT * RANK, random),
                0.5);

        Path target = tmp.resolve("merged.safetensors");
        float[] expectedW;
        float[] expectedX;
        try (SafetensorsFile base = SafetensorsFile.open(source);
             TensorTranscoder transcoder = new TensorTranscoder()) {
            try (ShardFileWriter writer = ShardFileWriter.create(target, List.of(
                    new OutputTensor("w", DType.BF16, new long[] {OUT, IN}),
                    new OutputTensor("x", DType.BF16, new long[] {CONVERTED})))) {
                transcoder.merge(base, base.tensor("w"), delta, DType.BF16, writer);
                transcoder.copy(base, base.tensor("x"), DType.BF16, writer);
                transcoder.flush();
            }
            expectedW = base.readFloats("w");                 // [OUT, IN], exact bf16 values
            delta.addTo(expectedW, 0, 0, OUT);                // the whole weight at once: no blocks
            expectedX = base.readFloats("x");
        }
        try (SafetensorsFile merged = SafetensorsFile.open(target)) {
            assertArrayEquals(roundToBf16(expectedW), merged.readFloats("w"));
            assertArrayEquals(roundToBf16(expectedX), merged.readFloats("x"));
        }
    }

    private static float[] roundToBf16(float[] values) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
        }
        return rounded;
    }

    private static float[] uniform(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }
}
