package io.kubelora.trainer.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer at a time for one item of the download cache (a model snapshot, a dataset file, an S3 folder),
 * across threads and across processes: training pods of several runs may share one cache volume. A run that
 * finds the item locked waits, then finds it complete and reuses it instead of downloading it again.
 *
 * <p>The lock is an OS file lock ({@code fcntl}) on {@code <cache>/.locks/<item>.lock}, which the kernel
 * releases when a process dies, so a killed pod never leaves the cache locked; NFS (ReadWriteMany volumes)
 * supports it from NFSv4 on. Threads of one process queue on an in-process lock first, because the JVM grants
 * a file lock to a process only once.
 */
final class CacheLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CacheLock.class);
    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private CacheLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /**
     * Waits until this thread holds the item.
     *
     * @param cacheRoot the cache folder the lock files live in
     * @param item      the cached folder or file, inside {@code cacheRoot}
     */
    static CacheLock acquire(Path cacheRoot, Path item) {
        Path lockFile = lockFile(cacheRoot, item);
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        threadLock.lock();
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                LOG.info("waiting for another run that is downloading {} into the shared cache", item);
                lock = channel.lock();
            }
            return new CacheLock(threadLock, channel, lock);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw new StorageException("cannot lock " + lockFile + " to download " + item + ": " + e.getMessage(), e);
        }
    }

    /** {@code <cacheRoot>/.locks/<item relative to cacheRoot, '/' as '--'>.lock}: readable, one folder. */
    static Path lockFile(Path cacheRoot, Path item) {
        Path root = cacheRoot.toAbsolutePath().normalize();
        Path target = item.toAbsolutePath().normalize();
        String relative = target.startsWith(root) ? root.relativize(target).toString() : target.toString();
        String name = relative.replace('/', '-').replace('\\', '-');
        if (name.getBytes(StandardCharsets.UTF_8).length > 200) {
            MessageDigest sha = Digests.newSha256();
            sha.update(relative.getBytes(StandardCharsets.UTF_8));
            name = name.substring(0, 100) + "-" + Digests.hex(sha);
        }
        return root.resolve(".locks").resolve(name + ".lock");
    }

    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException e) {
            LOG.debug("releasing {}: {}", fileLock, e.getMessage());
        } finally {
            closeQuietly(channel);
            threadLock.unlock();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a cache lock file: {}", e.getMessage());
        }
    }
}
