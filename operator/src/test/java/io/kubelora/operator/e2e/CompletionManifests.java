package io.kubelora.operator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Checks the contract of a folder the trainer published: {@code _KUBELORA_COMPLETE.json} (format
 * kubelora.io/folder/v1) lists exactly the folder's files with their sizes and SHA-256, was written after all
 * of them, and the in-progress marker is gone.
 */
final class CompletionManifests {

    static final String COMPLETE = "_KUBELORA_COMPLETE.json";
    static final String IN_PROGRESS = "_KUBELORA_IN_PROGRESS.json";
    static final String FORMAT = "kubelora.io/folder/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CompletionManifests() {
    }

    static void assertComplete(Path folder) throws IOException {
        Path manifestFile = folder.resolve(COMPLETE);
        assertTrue(Files.isRegularFile(manifestFile), "no " + COMPLETE + " in " + folder);
        assertFalse(Files.exists(folder.resolve(IN_PROGRESS)), IN_PROGRESS + " left in " + folder);
        JsonNode manifest = JSON.readTree(manifestFile.toFile());
        assertEquals(FORMAT, manifest.path("format").asText(), manifest.toString());

        Map<String, JsonNode> listed = new TreeMap<>();
        manifest.path("files").forEach(entry -> listed.put(entry.path("path").asText(), entry));
        Map<String, Path> present = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.filter(Files::isRegularFile).filter(p -> !p.equals(manifestFile))
                    .forEach(p -> present.put(folder.relativize(p).toString().replace('\\', '/'), p));
        }
        assertEquals(present.keySet(), listed.keySet(), "files of " + folder + " against its " + COMPLETE);

        FileTime written = Files.getLastModifiedTime(manifestFile);
        for (Map.Entry<String, Path> file : present.entrySet()) {
            JsonNode entry = listed.get(file.getKey());
            assertEquals(entry.path("size").asLong(), Files.size(file.getValue()), "size of " + file.getKey());
            assertEquals(entry.path("sha256").asText(), sha256(file.getValue()), "SHA-256 of " + file.getKey());
            assertTrue(written.compareTo(Files.getLastModifiedTime(file.getValue())) >= 0,
                    COMPLETE + " must be written after " + file.getKey());
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
