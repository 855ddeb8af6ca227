package io.kubelora.trainer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The bundled tokenizers, written once per test JVM into temporary model folders and loaded. */
final class TestTokenizers {

    private static final Map<String, TextTokenizer> LOADED = new ConcurrentHashMap<>();

    private TestTokenizers() {
    }

    static TextTokenizer llama3() {
        return get("llama3");
    }

    static TextTokenizer qwen() {
        return get("qwen");
    }

    /** Qwen 1.5's GPT-2 style byte-level BPE with the plain ChatML template. */
    static TextTokenizer chatml() {
        return get("chatml");
    }

    /** The Llama 2 SentencePiece BPE with Mistral's [INST] template. */
    static TextTokenizer mistral() {
        return get("mistral");
    }

    private static TextTokenizer get(String family) {
        return LOADED.computeIfAbsent(family, f -> TextTokenizer.load(modelDir(f)));
    }

    static Path modelDir(String family) {
        try {
            Path dir = Files.createTempDirectory("kubelora-tokenizer-" + family);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
            BundledTokenizer.copyTo(family, dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
