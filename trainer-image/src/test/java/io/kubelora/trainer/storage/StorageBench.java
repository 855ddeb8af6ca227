package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Upload and download of one big file through Storage to an in-process S3 server (s3proxy on a disk-backed
 * store) against a plain local file copy of the same file, in the same run.
 * Arguments: [size in MiB, default 1024] [part size, default 64MiB] [concurrency, default 8].
 */
public final class StorageBench {

    private StorageBench() {
    }

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        String partSize = args.length > 1 ? args[1] : "64MiB";
        String concurrency = args.length > 2 ? args[2] : "8";
        Path work = Files.createTempDirectory("kubelora-storage-bench");
        try {
            Path source = work.resolve("model/model.safetensors");
            writeRandom(source, mib << 20);

            long t0 = System.nanoTime();
            Files.copy(source, work.resolve("copy.safetensors"));
            double localSeconds = seconds(t0);

            Path blobs = Files.createDirectories(work.resolve("blobs"));
            try (S3ProxyServer server = S3ProxyServer.start(new FilesystemNio2BlobStore(blobs.toString()));
                 S3Client raw = server.rawClient()) {
                raw.createBucket(b -> b.bucket("bench"));
                Map<String, String> env = new HashMap<>(server.env());
                env.put("KUBELORA_CACHE_DIR", work.resolve("cache").toString());
                env.put("KUBELORA_S3_PART_SIZE", partSize);
                env.put("KUBELORA_S3_CONCURRENCY", concurrency);
                try (Storage storage = Storage.fromEnvironment(env, work)) {
                    t0 = System.nanoTime();
                    storage.uploadDirectory(source.getParent(), "s3://bench/models/m");
                    double uploadSeconds = seconds(t0);

                    t0 = System.nanoTime();
                    Path fetched = storage.fetchDirectory("s3://bench/models/m");
                    double downloadSeconds = seconds(t0);

                    if (!Digests.sha256(fetched.resolve("model.safetensors")).equals(Digests.sha256(source))) {
                        throw new IllegalStateException("the downloaded file differs from the uploaded one");
                    }
                    report(mib, partSize, concurrency, localSeconds, uploadSeconds, downloadSeconds);
                }
            }
        } finally {
            LocalFiles.deleteTree(work);
        }
    }

    private static void report(long mib, String partSize, String concurrency, double local, double up, double down) {
        System.out.printf(Locale.ROOT, "file: %d MiB, part size %s, concurrency %s, %d cores%n", mib, partSize,
                concurrency, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "local copy      %7.2f s  %8.1f MiB/s%n", local, mib / local);
        System.out.printf(Locale.ROOT, "s3 upload       %7.2f s  %8.1f MiB/s  (%.2fx the local copy time)%n", up,
                mib / up, up / local);
        System.out.printf(Locale.ROOT, "s3 download     %7.2f s  %8.1f MiB/s  (%.2fx the local copy time)%n", down,
                mib / down, down / local);
    }

    private static void writeRandom(Path file, long bytes) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] block = new byte[8 << 20];
        Random random = new Random(42);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, bytes - written));
            }
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
