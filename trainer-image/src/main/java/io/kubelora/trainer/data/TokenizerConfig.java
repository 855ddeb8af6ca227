package io.kubelora.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the trainer reads from a model's {@code tokenizer_config.json}: the special tokens, whether a
 * BOS token is prepended, and the chat template. Special tokens appear either as plain strings or as
 * {@code {"content": "..."}} objects; both are accepted. A {@code chat_template} given as a list of
 * named templates (as some models ship) resolves to the one named {@code default}; newer model folders
 * keep the template in {@code chat_template.jinja} beside the config, which is read when the config has none.
 *
 * @param bosToken      BOS token text, or null
 * @param eosToken      EOS token text, or null
 * @param padToken      PAD token text, or null
 * @param unkToken      UNK token text, or null
 * @param addBosToken   {@code add_bos_token}: prepend BOS when special tokens are added
 * @param chatTemplate  Jinja2 chat template, or null
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken, String unkToken,
                              boolean addBosToken, String chatTemplate) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code tokenizer_config.json} of {@code modelDir}; a missing file gives an empty config. */
    public static TokenizerConfig read(Path modelDir) {
        Path file = modelDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) {
            return new TokenizerConfig(null, null, null, null, false, null);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object");
        }
        String template = chatTemplate(root, file);
        Path jinjaFile = modelDir.resolve("chat_template.jinja");
        if (template == null && Files.isRegularFile(jinjaFile)) {
            try {
                template = Files.readString(jinjaFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + jinjaFile + ": " + e.getMessage(), e);
            }
        }
        return new TokenizerConfig(token(root, "bos_token", file), token(root, "eos_token", file),
                token(root, "pad_token", file), token(root, "unk_token", file),
                root.path("add_bos_token").asBoolean(false), template);
    }

    public Optional<String> chatTemplateText() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The special tokens a chat template sees ({@code bos_token}, ...), leaving out absent ones. */
    public Map<String, Object> templateVariables() {
        Map<String, Object> vars = new LinkedHashMap<>();
        putIfPresent(vars, "bos_token", bosToken);
        putIfPresent(vars, "eos_token", eosToken);
        putIfPresent(vars, "pad_token", padToken);
        putIfPresent(vars, "unk_token", unkToken);
        return vars;
    }

    private static void putIfPresent(Map<String, Object> vars, String key, String value) {
        if (value != null) {
            vars.put(key, value);
        }
    }

    private static String token(JsonNode root, String field, Path file) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return node.get("content").asText();
        }
        throw new IllegalArgumentException(file + ": " + field + " must be a string or {\"content\": string}");
    }

    private static String chatTemplate(JsonNode root, Path file) {
        JsonNode node = root.get("chat_template");
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
            throw new IllegalArgumentException(file + ": chat_template list has no template named \"default\"");
        }
        throw new IllegalArgumentException(file + ": chat_template must be a string or a list of named templates");
    }
}
