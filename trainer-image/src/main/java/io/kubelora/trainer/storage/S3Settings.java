package io.kubelora.trainer.storage;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * How to reach S3, read from the environment the trainer was given (not the JVM's own, so a test or the
 * operator can pass its own map). The standard AWS variables work as usual; the SDK's own lookups only see the
 * process environment, so the ones that matter are read here explicitly:
 * <ul>
 *   <li>AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL: endpoint override (MinIO, Ceph, s3proxy); implies
 *       path-style access unless KUBELORA_S3_PATH_STYLE=false. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
 *       ignores both.</li>
 *   <li>AWS_REGION, then AWS_DEFAULT_REGION (the SDK alone ignores the latter); without either, us-east-1
 *       with cross-region access so a bucket in any region is found.</li>
 *   <li>AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); otherwise the SDK's default chain
 *       (AWS_PROFILE, web identity / IRSA, container and instance roles). KUBELORA_S3_ANONYMOUS=true for
 *       public buckets.</li>
 *   <li>KUBELORA_S3_PART_SIZE (default 64MiB, at least 5MiB) and KUBELORA_S3_CONCURRENCY (default 8):
 *       multipart upload and ranged download.</li>
 * </ul>
 */
record S3Settings(URI endpoint, Region region, boolean explicitRegion, boolean pathStyle,
                  AwsCredentialsProvider credentials, long partSize, int concurrency) {

    static final long MIN_PART_SIZE = 5L << 20;
    static final long MAX_PART_SIZE = 5L << 30;
    static final long DEFAULT_PART_SIZE = 64L << 20;
    static final int DEFAULT_CONCURRENCY = 8;
    private static final int MAX_ATTEMPTS = 6;

    static S3Settings fromEnvironment(Map<String, String> env) {
        URI endpoint = endpoint(env);
        String regionName = firstSet(env, "AWS_REGION", "AWS_DEFAULT_REGION");
        Region region = regionName == null ? Region.US_EAST_1 : Region.of(regionName);
        String pathStyle = value(env, "KUBELORA_S3_PATH_STYLE");
        boolean usePathStyle = pathStyle == null ? endpoint != null : bool("KUBELORA_S3_PATH_STYLE", pathStyle);
        long partSize = Sizes.parse("KUBELORA_S3_PART_SIZE", value(env, "KUBELORA_S3_PART_SIZE"), DEFAULT_PART_SIZE);
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new StorageException("KUBELORA_S3_PART_SIZE must be at least 5MiB and at most 5GiB (S3's part"
                    + " limits), was " + partSize + " bytes");
        }
        String concurrencyText = value(env, "KUBELORA_S3_CONCURRENCY");
        int concurrency = DEFAULT_CONCURRENCY;
        if (concurrencyText != null) {
            try {
                concurrency = Integer.parseInt(concurrencyText.trim());
            } catch (NumberFormatException e) {
                concurrency = -1;
            }
            if (concurrency < 1 || concurrency > 64) {
                throw new StorageException("KUBELORA_S3_CONCURRENCY must be a whole number from 1 to 64, was '"
                        + concurrencyText + "'");
            }
        }
        return new S3Settings(endpoint, region, regionName != null, usePathStyle, credentials(env), partSize,
                concurrency);
    }

    S3Client newClient() {
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(2)))
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(pathStyle)
                // standard mode: exponential backoff with jitter on throttling, 5xx and connection errors
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(MAX_ATTEMPTS).build()));
        if (endpoint != null) {
            builder.endpointOverride(endpoint)
                    // many S3-compatible servers reject the SDK's default CRC trailers on every request
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        } else if (!explicitRegion) {
            builder.crossRegionAccessEnabled(true);
        }
        return builder.build();
    }

    String describeEndpoint() {
        return endpoint == null ? "AWS S3 (" + region.id() + ")" : endpoint.toString();
    }

    private static URI endpoint(Map<String, String> env) {
        String ignore = value(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
        if (ignore != null && bool("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", ignore)) {
            return null;
        }
        String name = value(env, "AWS_ENDPOINT_URL_S3") != null ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
        String text = value(env, name);
        if (text == null) {
            return null;
        }
        try {
            URI uri = URI.create(text.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new StorageException(name + " must be an http(s) URL like http://minio.storage:9000, was '" + text
                + "'");
    }

    private static AwsCredentialsProvider credentials(Map<String, String> env) {
        String keyId = value(env, "AWS_ACCESS_KEY_ID");
        String secret = value(env, "AWS_SECRET_ACCESS_KEY");
        if (keyId != null || secret != null) {
            if (keyId == null || secret == null) {
                throw new StorageException((keyId == null ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID"
                        : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY") + " is not: set both");
            }
            String token = value(env, "AWS_SESSION_TOKEN");
            return StaticCredentialsProvider.create(token == null ? AwsBasicCredentials.create(keyId, secret)
                    : AwsSessionCredentials.create(keyId, secret, token));
        }
        String anonymous = value(env, "KUBELORA_S3_ANONYMOUS");
        if (anonymous != null && bool("KUBELORA_S3_ANONYMOUS", anonymous)) {
            return AnonymousCredentialsProvider.create();
        }
        String profile = value(env, "AWS_PROFILE");
        return profile == null ? DefaultCredentialsProvider.builder().build()
                : DefaultCredentialsProvider.builder().profileName(profile).build();
    }

    private static String firstSet(Map<String, String> env, String... names) {
        for (String name : names) {
            String v = value(env, name);
            if (v != null) {
                return v.trim();
            }
        }
        return null;
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    private static boolean bool(String name, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new StorageException(name + " must be true or false, was '" + text + "'");
        };
    }
}
