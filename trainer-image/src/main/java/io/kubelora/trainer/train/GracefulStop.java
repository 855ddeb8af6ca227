package io.kubelora.trainer.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns SIGTERM (pod deletion, preemption, node drain) into "finish this step, write a checkpoint, then exit"
 * within the pod's grace period. The JVM runs shutdown hooks on SIGTERM; the hook raises the flag and waits
 * until the training thread has saved, or the grace budget runs out.
 */
public final class GracefulStop implements AutoCloseable {

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch saved = new CountDownLatch(1);
    private final Thread hook;

    /** @param graceSeconds how long the hook waits for the checkpoint (keep below terminationGracePeriodSeconds) */
    public GracefulStop(long graceSeconds) {
        hook = new Thread(() -> {
            requested.set(true);
            try {
                saved.await(graceSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kubelora-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public boolean requested() {
        return requested.get();
    }

    /** The training thread calls this once its final checkpoint is written (or nothing needs saving). */
    public void saved() {
        saved.countDown();
    }

    @Override
    public void close() {
        saved.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // already in shutdown: the hook is running and has been released above
        }
    }
}
