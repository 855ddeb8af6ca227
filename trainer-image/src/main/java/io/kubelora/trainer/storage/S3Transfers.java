package io.kubelora.trainer.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Moves single objects: multipart upload in parallel parts for big files, parallel ranged GETs for big
 * downloads. Built on the synchronous client because the SDK's transfer manager needs an async HTTP stack
 * (Netty or CRT) that this image leaves out.
 */
final class S3Transfers {

    private static final int MAX_PARTS = 10_000;
    private static final int COPY_BUFFER = 1 << 20;
    private static final int BODY_ATTEMPTS = 4;

    private final S3Client s3;
    private final ExecutorService pool;
    private final S3Settings settings;

    S3Transfers(S3Client s3, ExecutorService pool, S3Settings settings) {
        this.s3 = s3;
        this.pool = pool;
        this.settings = settings;
    }

    void upload(Path file, S3Location to) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + " to upload it to " + to + ": " + e.getMessage(), e);
        }
        try {
            if (size <= settings.partSize()) {
                s3.putObject(b -> b.bucket(to.bucket()).key(to.key()).contentType(ContentTypes.of(to.key())),
                        RequestBody.fromFile(file));
            } else {
                uploadMultipart(file, size, to);
            }
        } catch (SdkException e) {
            throw S3Errors.translate(e, "uploading " + file + " to", to.uri(), settings);
        }
    }

    private void uploadMultipart(Path file, long size, S3Location to) {
        // S3 allows 10,000 parts: grow the part size (to whole MiB) for files beyond 10,000 x partSize
        long partSize = Math.max(settings.partSize(), ((size + MAX_PARTS - 1) / MAX_PARTS + (1 << 20) - 1)
                & ~((1L << 20) - 1));
        int partCount = (int) ((size + partSize - 1) / partSize);
        String uploadId = s3.createMultipartUpload(b -> b.bucket(to.bucket()).key(to.key())
                .contentType(ContentTypes.of(to.key()))).uploadId();
        List<Future<CompletedPart>> parts = new ArrayList<>(partCount);
        try {
            for (int i = 0; i < partCount; i++) {
                int partNumber = i + 1;
                long offset = i * partSize;
                long length = Math.min(partSize, size - offset);
                parts.add(pool.submit(() -> {
                    try (FileRange body = new FileRange(file, offset, length)) {
                        String etag = s3.uploadPart(b -> b.bucket(to.bucket()).key(to.key()).uploadId(uploadId)
                                .partNumber(partNumber).contentLength(length),
                                RequestBody.fromContentProvider(body, length, "application/octet-stream")).eTag();
                        return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
                    }
                }));
            }
            List<CompletedPart> completed = awaitAll(parts);
            s3.completeMultipartUpload(b -> b.bucket(to.bucket()).key(to.key()).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
        } catch (RuntimeException e) {
            parts.forEach(f -> f.cancel(true));
            try {
                s3.abortMultipartUpload(b -> b.bucket(to.bucket()).key(to.key()).uploadId(uploadId));
            } catch (SdkException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
    }

    /**
     * Downloads {@code from} (of known size) into {@code target} through a {@code .incomplete} sibling; big
     * objects come in parallel ranges pinned to one ETag, so a concurrent overwrite fails instead of mixing.
     */
    void download(S3Location from, long size, String etag, Path target) {
        Path temp = target.resolveSibling(target.getFileName() + ".incomplete");
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                if (size > 0 && size <= settings.partSize()) {
                    copyRange(from, etag, 0, size - 1, size, out);
                } else if (size > 0) {
                    List<Future<Void>> ranges = new ArrayList<>();
                    for (long offset = 0; offset < size; offset += settings.partSize()) {
                        long start = offset;
                        long end = Math.min(size, offset + settings.partSize()) - 1;
                        ranges.add(pool.submit(() -> {
                            copyRange(from, etag, start, end, size, out);
                            return null;
                        }));
                    }
                    try {
                        awaitAll(ranges);
                    } catch (RuntimeException e) {
                        ranges.forEach(f -> f.cancel(true));
                        throw e;
                    }
                }
            }
            long got = Files.size(temp);
            if (got != size) {
                throw new StorageException("downloaded " + got + " bytes of " + from + " but it has " + size);
            }
            LocalFiles.moveAtomically(temp, target);
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot download " + from + " to " + target + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw S3Errors.translate(e, "downloading", from.uri(), settings);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // best effort: a leftover .incomplete file is overwritten by the next attempt
            }
        }
    }

    /**
     * Copies bytes {@code first..last} of the object into the same positions of {@code out}. The SDK retries
     * failed requests, but not a body that breaks off midway: that is resumed here from the last byte written.
     */
    private void copyRange(S3Location from, String etag, long first, long last, long size, FileChannel out) {
        byte[] buffer = new byte[COPY_BUFFER];
        long at = first;
        for (int attempt = 1; ; attempt++) {
            // a whole-object GET (no Range header) when that is what is wanted: some stores handle it faster
            String range = at == 0 && last == size - 1 ? null : "bytes=" + at + "-" + last;
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(from.bucket())
                    .key(from.key()).range(range).ifMatch(etag))) {
                for (int n; at <= last
                        && (n = in.read(buffer, 0, (int) Math.min(buffer.length, last - at + 1))) > 0; ) {
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        at += out.write(chunk, at);
                    }
                }
                if (at > last) {
                    return;
                }
                throw new IOException("the response ended after " + (at - first) + " of " + (last - first + 1)
                        + " bytes");
            } catch (IOException e) {
                if (attempt >= BODY_ATTEMPTS) {
                    throw new UncheckedIOException("reading " + from + " failed after " + attempt + " attempts", e);
                }
                try {
                    Thread.sleep(250L << attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new StorageException("interrupted while downloading " + from, interrupted);
                }
            }
        }
    }

    /** Waits for every task; the first failure is rethrown as it was (storage and SDK errors unchanged). */
    private static <T> List<T> awaitAll(List<Future<T>> futures) {
        List<T> results = new ArrayList<>(futures.size());
        for (Future<T> future : futures) {
            try {
                results.add(future.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while transferring", e);
            } catch (CancellationException e) {
                throw new StorageException("transfer cancelled", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof IOException io) {
                    throw new UncheckedIOException(io);
                }
                throw new StorageException("transfer failed: " + cause, cause);
            }
        }
        return results;
    }

    /**
     * One part of a file as a re-openable body: the SDK may read it more than once (signing, retries); each
     * new stream closes the previous one.
     */
    private static final class FileRange implements ContentStreamProvider, AutoCloseable {
        private final Path file;
        private final long offset;
        private final long length;
        private InputStream current;

        FileRange(Path file, long offset, long length) {
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public InputStream newStream() {
            close();
            try {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ).position(offset);
                current = new BoundedInputStream(Channels.newInputStream(channel), length);
                return current;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        @Override
        public void close() {
            if (current != null) {
                try {
                    current.close();
                } catch (IOException ignored) {
                    // closing a read-only file
                }
                current = null;
            }
        }
    }
}
