package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real tokenizers shipped inside the trainer (fetched from pinned npm packages at build time, see the
 * trainer pom): {@code llama3} (Llama 3, 128 256 ids) and {@code qwen} (Qwen 3, 151 669 ids). Used to
 * give randomly initialised models a real tokenizer and chat template.
 */
public final class BundledTokenizer {

    private static final String ROOT = "/io/kubelora/trainer/tokenizers/";
    private static final Map<String, Integer> VOCAB_SIZES = new ConcurrentHashMap<>();

    private BundledTokenizer() {
    }

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json}
     * (derived from the config's special tokens) into {@code modelDir}, creating it if needed.
     *
     * @param family {@code llama3} or {@code qwen} ({@code qwen3} is accepted too)
     */
    public static void copyTo(String family, Path modelDir) {
        String folder = folder(family);
        try {
            Files.createDirectories(modelDir);
            for (String name : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
                try (InputStream in = open(folder, name)) {
                    Files.copy(in, modelDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            writeSpecialTokensMap(modelDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the " + family + " tokenizer to " + modelDir + ": "
                    + e.getMessage(), e);
        }
    }

    /** Number of token ids of the family's tokenizer, vocabulary and added tokens together. */
    public static int vocabSize(String family) {
        String folder = folder(family);
        return VOCAB_SIZES.computeIfAbsent(folder, f -> {
            try (InputStream in = open(f, "tokenizer.json")) {
                return TokenizerVocabulary.read(in, ROOT + f + "/tokenizer.json").size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static String folder(String family) {
        return switch (family == null ? "" : family.toLowerCase(Locale.ROOT)) {
            case "llama3" -> "llama3";
            case "qwen", "qwen3" -> "qwen3";
            default -> throw new IllegalArgumentException("unknown tokenizer family \"" + family
                    + "\": expected llama3 or qwen");
        };
    }

    private static InputStream open(String folder, String name) {
        InputStream in = BundledTokenizer.class.getResourceAsStream(ROOT + folder + "/" + name);
        if (in == null) {
            throw new IllegalStateException("the trainer was built without its bundled " + folder
                    + " tokenizer (" + ROOT + folder + "/" + name + " is not on the classpath)");
        }
        return in;
    }

    /** special_tokens_map.json as transformers writes it, from the special tokens of the config. */
    private static void writeSpecialTokensMap(Path modelDir) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Object> map = new LinkedHashMap<>();
        JsonNode additional = json.readTree(modelDir.resolve("tokenizer_config.json").toFile())
                .path("additional_special_tokens");
        if (additional.isArray() && !additional.isEmpty()) {
            map.put("additional_special_tokens", additional);
        }
        map.putAll(TokenizerConfig.read(modelDir).templateVariables());
        json.writeValue(modelDir.resolve("special_tokens_map.json").toFile(), map);
    }
}
