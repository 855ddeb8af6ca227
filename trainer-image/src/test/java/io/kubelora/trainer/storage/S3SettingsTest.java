package io.kubelora.trainer.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/** How the standard AWS variables and KubeLoRA's own become S3 client settings. */
class S3SettingsTest {

    @Test
    void anEndpointOverrideMeansPathStyleAndADefaultRegion() {
        S3Settings s = S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://minio.storage:9000"));
        assertEquals(URI.create("http://minio.storage:9000"), s.endpoint());
        assertTrue(s.pathStyle());
        assertEquals(Region.US_EAST_1, s.region());
        assertFalse(s.explicitRegion());
        assertFalse(S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://minio:9000",
                "KUBELORA_S3_PATH_STYLE", "false")).pathStyle());
        assertTrue(S3Settings.fromEnvironment(Map.of("KUBELORA_S3_PATH_STYLE", "true")).pathStyle());
        assertNull(S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://minio:9000",
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")).endpoint());
    }

    @Test
    void regionAndCredentialsComeFromTheStandardVariables() {
        S3Settings s = S3Settings.fromEnvironment(Map.of("AWS_DEFAULT_REGION", "eu-west-3",
                "AWS_ACCESS_KEY_ID", "AKIA", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_SESSION_TOKEN", "token"));
        assertEquals(Region.EU_WEST_3, s.region());
        assertTrue(s.explicitRegion());
        assertFalse(s.pathStyle());
        AwsSessionCredentials credentials = (AwsSessionCredentials) s.credentials().resolveCredentials();
        assertEquals("AKIA", credentials.accessKeyId());
        assertEquals("token", credentials.sessionToken());
        assertEquals(Region.AP_SOUTH_1, S3Settings.fromEnvironment(Map.of("AWS_REGION", "ap-south-1",
                "AWS_DEFAULT_REGION", "eu-west-3")).region());
        assertTrue(S3Settings.fromEnvironment(Map.of("AWS_PROFILE", "training")).credentials()
                instanceof DefaultCredentialsProvider);
    }

    @Test
    void partSizeAndConcurrencyAreConfigurable() {
        S3Settings s = S3Settings.fromEnvironment(Map.of("KUBELORA_S3_PART_SIZE", "128MiB",
                "KUBELORA_S3_CONCURRENCY", "16"));
        assertEquals(128L << 20, s.partSize());
        assertEquals(16, s.concurrency());
        assertEquals(S3Settings.DEFAULT_PART_SIZE, S3Settings.fromEnvironment(Map.of()).partSize());
        assertEquals(5L << 20, Sizes.parse("x", "5242880", 0));
        assertEquals(1L << 30, Sizes.parse("x", "1G", 0));
    }

    @Test
    void badValuesAreReportedByName() {
        assertMessage("AWS_ENDPOINT_URL must be an http(s) URL", Map.of("AWS_ENDPOINT_URL", "minio:9000"));
        assertMessage("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                Map.of("AWS_ACCESS_KEY_ID", "AKIA"));
        assertMessage("KUBELORA_S3_PART_SIZE must be at least 5MiB", Map.of("KUBELORA_S3_PART_SIZE", "1MiB"));
        assertMessage("KUBELORA_S3_PART_SIZE must be at least 5MiB", Map.of("KUBELORA_S3_PART_SIZE", "6GiB"));
        assertMessage("KUBELORA_S3_PART_SIZE must be a size", Map.of("KUBELORA_S3_PART_SIZE", "lots"));
        assertMessage("KUBELORA_S3_CONCURRENCY must be a whole number", Map.of("KUBELORA_S3_CONCURRENCY", "0"));
        assertMessage("KUBELORA_S3_PATH_STYLE must be true or false", Map.of("KUBELORA_S3_PATH_STYLE", "maybe"));
    }

    @Test
    void parsesS3Uris() {
        assertEquals(new S3Location("b", "a/c"), S3Location.parse("s3://b/a/c/"));
        assertEquals(new S3Location("b", ""), S3Location.parse("s3://b"));
        assertEquals("a/c/", S3Location.parse("s3://b/a/c").folderPrefix());
        assertThrows(StorageException.class, () -> S3Location.parse("s3:///key"));
    }

    private static void assertMessage(String expected, Map<String, String> env) {
        StorageException e = assertThrows(StorageException.class, () -> S3Settings.fromEnvironment(env));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
