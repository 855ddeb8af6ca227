package io.kubelora.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubelora.trainer.data.BundledTokenizer;
import io.kubelora.trainer.lora.LoraAdapters;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our logits equal Hugging Face transformers' on the tiny random models, and with an adapter our trainer wrote
 * they equal peft's PeftModel: fixtures from bench/reference/make_fixtures.py (fp32, recorded columns, top-k
 * and logsumexp per position; see bench/reference/README.md). Skipped until a fixture exists.
 */
class HuggingFaceReferenceTest {

    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Architecture> ARCHITECTURES = Map.of("llama", Architecture.LLAMA,
            "mistral", Architecture.MISTRAL, "qwen2", Architecture.QWEN2);
    /** The tokenizer `init-model --arch` gives each architecture (its size is the vocabulary). */
    private static final Map<String, String> TOKENIZERS = Map.of("llama", "llama3", "mistral", "mistral",
            "qwen2", "qwen");

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void logitsMatchTransformersAndPeft(String arch, @TempDir Path modelDir) throws Exception {
        URL fixtureFile = getClass().getResource("/reference/" + arch + ".json");
        assumeTrue(fixtureFile != null, "no Hugging Face reference for " + arch + " yet: "
                + "trainer-image/src/test/resources/reference/" + arch + ".json is made by "
                + "bench/reference/prepare.sh then make_fixtures.py on a machine with torch, transformers and peft "
                + "(bench/reference/README.md)");
        JsonNode fixture = JSON.readTree(fixtureFile);
        JsonNode init = fixture.get("init");
        ModelInitializer.write(ARCHITECTURES.get(arch), Preset.valueOf(init.get("preset").asText().toUpperCase(
                Locale.ROOT)), BundledTokenizer.vocabSize(TOKENIZERS.get(arch)), init.get("seed").asLong(), modelDir);
        assertEquals(fixture.get("model_sha256").asText(), sha256(modelDir.resolve("model.safetensors")),
                arch + ": the regenerated tiny model (" + init + ") is not the one the fixture was made from; "
                        + "the initializer changed: rerun bench/reference/prepare.sh and make_fixtures.py");
        Path adapterDir = Path.of(getClass().getResource("/reference/" + arch + "/adapter").toURI());
        fixture.get("adapter_sha256").fields().forEachRemaining(f -> assertEquals(f.getValue().asText(),
                sha256(adapterDir.resolve(f.getKey())), arch + ": adapter/" + f.getKey()
                        + " is not the file the fixture was made from: rerun make_fixtures.py"));
        long[] ids = new long[fixture.get("token_ids").size()];
        Arrays.setAll(ids, i -> fixture.get("token_ids").get(i).asLong());

        try (CausalLm model = CausalLm.load(modelDir, ModelOptions.on(Device.cpu()).withSeed(1))) {
            assertEquals(fixture.get("vocab_size").asInt(), model.config().vocabSize());
            assertMatches(model, ids, fixture, "base", arch + " vs transformers");
            LoraAdapters.load(model, adapterDir);
            assertMatches(model, ids, fixture, "adapter", arch + " with our adapter vs peft");
        }
        assertTrue(largestDifference(fixture.get("base"), fixture.get("adapter")) > 0.01,
                arch + ": the fixture's adapter hardly changes the logits, so it tests nothing");
    }

    /** Every recorded value of every recorded position within TOLERANCE. */
    private static void assertMatches(CausalLm model, long[] ids, JsonNode fixture, String variant, String what) {
        JsonNode columns = fixture.get("columns");
        for (JsonNode record : fixture.get(variant)) {
            int position = record.get("position").asInt();
            float[] row = model.logits(Arrays.copyOf(ids, position + 1), true)[0]; // [V] at this position
            String where = what + ", position " + position;
            for (int i = 0; i < columns.size(); i++) {
                assertClose(record.get("values").get(i).asDouble(), row[columns.get(i).asInt()],
                        where + ", column " + columns.get(i));
            }
            for (int i = 0; i < record.get("top_ids").size(); i++) {
                assertClose(record.get("top_logits").get(i).asDouble(), row[record.get("top_ids").get(i).asInt()],
                        where + ", top-" + (i + 1) + " id " + record.get("top_ids").get(i));
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            assertClose(record.get("top_logits").get(0).asDouble(), max, where + ", largest logit");
            double sum = 0;
            for (float v : row) {
                sum += Math.exp(v - max);
            }
            assertClose(record.get("logsumexp").asDouble(), max + Math.log(sum), where + ", logsumexp");
        }
    }

    private static void assertClose(double expected, double actual, String where) {
        assertEquals(expected, actual, TOLERANCE, where);
    }

    private static double largestDifference(JsonNode base, JsonNode adapter) {
        double largest = 0;
        for (int p = 0; p < base.size(); p++) {
            JsonNode a = base.get(p).get("values");
            JsonNode b = adapter.get(p).get("values");
            for (int i = 0; i < a.size(); i++) {
                largest = Math.max(largest, Math.abs(a.get(i).asDouble() - b.get(i).asDouble()));
            }
        }
        return largest;
    }

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (Exception e) {
            throw new IllegalStateException(file + ": " + e.getMessage(), e);
        }
    }
}
