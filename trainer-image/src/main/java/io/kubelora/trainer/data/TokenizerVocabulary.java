package io.kubelora.trainer.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The parts of {@code tokenizer.json} the trainer needs beyond encoding: the id of a named token,
 * which added tokens are special, and the id range (vocabulary plus added tokens), which the model's
 * {@code vocab_size} must cover.
 */
final class TokenizerVocabulary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final Map<String, Long> ids;
    private final Set<String> specialTokens;
    private final int size;

    private TokenizerVocabulary(String source, Map<String, Long> ids, Set<String> specialTokens, int size) {
        this.source = source;
        this.ids = ids;
        this.specialTokens = Set.copyOf(specialTokens);
        this.size = size;
    }

    static TokenizerVocabulary read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static TokenizerVocabulary read(InputStream in, String source) {
        Map<String, Long> ids = new HashMap<>();
        Set<String> special = new HashSet<>();
        long[] max = {-1};
        boolean sawVocab = false;
        // Streamed: the merges list (most of a BPE tokenizer.json) is skipped instead of built as a tree.
        try (JsonParser p = JSON.getFactory().createParser(in)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, source, "expected a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if ("model".equals(field) && p.currentToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String modelField = p.currentName();
                        p.nextToken();
                        if ("vocab".equals(modelField)) {
                            readVocab(p, ids, max, source);
                            sawVocab = true;
                        } else {
                            p.skipChildren();
                        }
                    }
                } else if ("added_tokens".equals(field) && p.currentToken() == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        JsonNode added = p.readValueAsTree();
                        long id = added.path("id").asLong(-1);
                        String content = added.path("content").isTextual() ? added.get("content").asText() : null;
                        expect(id >= 0 && content != null, source, "an added_tokens entry lacks id or content");
                        ids.put(content, id);
                        if (added.path("special").asBoolean(false)) {
                            special.add(content);
                        }
                        max[0] = Math.max(max[0], id);
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        expect(sawVocab, source, "model.vocab is missing");
        expect(max[0] < Integer.MAX_VALUE, source, "token ids exceed the supported range");
        return new TokenizerVocabulary(source, ids, special, (int) (max[0] + 1));
    }

    /** BPE / WordPiece / WordLevel store {token: id}; Unigram stores [[piece, score], ...] by id. */
    private static void readVocab(JsonParser p, Map<String, Long> ids, long[] max, String source) throws IOException {
        if (p.currentToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                p.nextToken();
                long id = p.getValueAsLong(-1);
                expect(id >= 0, source, "model.vocab id of \"" + token + "\" is not a non-negative integer");
                ids.put(token, id);
                max[0] = Math.max(max[0], id);
            }
        } else if (p.currentToken() == JsonToken.START_ARRAY) {
            long id = 0;
            while (p.nextToken() == JsonToken.START_ARRAY) {
                p.nextToken();
                ids.put(p.getValueAsString(), id);
                p.skipChildren();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    p.skipChildren();
                }
                max[0] = Math.max(max[0], id);
                id++;
            }
        } else {
            throw new IllegalArgumentException(source + ": model.vocab must be an object or a list");
        }
    }

    private static void expect(boolean condition, String source, String problem) {
        if (!condition) {
            throw new IllegalArgumentException(source + ": " + problem);
        }
    }

    /** One more than the largest token id. */
    int size() {
        return size;
    }

    Set<String> specialTokens() {
        return specialTokens;
    }

    /** Id of a token named in tokenizer_config.json by {@code field}; empty when {@code token} is null. */
    OptionalLong idOf(String token, String field) {
        if (token == null) {
            return OptionalLong.empty();
        }
        Long id = ids.get(token);
        if (id == null) {
            throw new IllegalArgumentException("tokenizer_config.json " + field + " \"" + token
                    + "\" is not a token of " + source);
        }
        return OptionalLong.of(id);
    }
}
