package io.kubelora.trainer.parallel;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.kubelora.trainer.data.Batch;
import io.kubelora.trainer.model.InPlace;
import io.kubelora.trainer.model.LossSum;
import io.kubelora.trainer.model.TrainableParameter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Data-parallel replicas in one process, each computing on a thread of its own (libtorch's grad mode, DJL's NDScope
 * and OpenMP's thread count are all per thread); a single replica computes on the caller's thread.
 *
 * <p>The all-reduce, without NCCL (DJL has none): every replica's LoRA gradients are copied to the first replica's
 * device and added there in replica order, the one optimizer steps the first replica's weights, and those are copied
 * back into every other replica. Per optimizer step that moves (N - 1) x S into the first device and (N - 1) x S out
 * of it, S being 4 bytes per LoRA weight (168 MB for Llama-3.1-8B at rank 16 on all linears): tens of milliseconds
 * over PCIe, once per optimizer step (not per micro-batch), beside steps of seconds. Stepping an optimizer on every
 * replica instead would move N (N - 1) x S gradients, hold N optimizer states, and keep the replicas equal only as
 * long as all devices compute bit for bit alike; here they are equal by construction.
 *
 * <p>On the CPU each replica's thread gets an equal share of the cores for libtorch's intra-op work. libtorch's
 * thread count is OpenMP's, a per-thread setting ({@code at::set_num_threads} sets the calling thread's, and a
 * global default for threads that have not computed yet), and every thread that computes gets a team of OpenMP
 * threads of its own: so the share is set on each replica's thread.
 */
public final class Replicas implements AutoCloseable {

    private final int count;
    private final List<Replica> replicas = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>(); // one per replica when there are several
    private final int cpuThreadsEach;                                // 0: libtorch's own count

    private Replicas(int count, boolean cpu) {
        this.count = count;
        cpuThreadsEach = cpu && count > 1 ? Math.max(1, Runtime.getRuntime().availableProcessors() / count) : 0;
        for (int r = 0; count > 1 && r < count; r++) {
            String name = "replica-" + r;
            threads.add(Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, name);
                thread.setDaemon(true);
                return thread;
            }));
        }
    }

    /**
     * One replica per device, loaded at the same time on the replicas' threads, each from the model's files: the
     * files are memory-mapped, so the replicas share the page cache and hold no host copy of the weights beyond
     * each loader's staging buffer.
     *
     * @param loader builds a replica on a device, e.g. the model with fresh adapters of the same seed
     */
    public static Replicas load(List<Device> devices, Function<Device, Replica> loader) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        boolean cpu = devices.stream().noneMatch(Device::isGpu);
        Replicas group = new Replicas(devices.size(), cpu);
        List<Outcome<Replica>> loaded = group.run(r -> loader.apply(devices.get(r)));
        for (Outcome<Replica> outcome : loaded) {
            if (outcome.value() != null) {
                group.replicas.add(outcome.value());
            }
        }
        if (group.replicas.size() < devices.size()) {
            group.close();
            rethrow(loaded);
            throw new IllegalStateException("a replica's loader returned nothing");
        }
        return group;
    }

    public int size() {
        return count;
    }

    /** The replica whose weights the optimizer steps and checkpoints are written from. */
    public Replica first() {
        return replicas.get(0);
    }

    public List<Replica> all() {
        return List.copyOf(replicas);
    }

    public List<Device> devices() {
        return replicas.stream().map(Replica::device).toList();
    }

    /** libtorch intra-op threads of each replica on the CPU; 0 when libtorch's own setting applies (one replica, GPUs). */
    public int cpuThreadsEach() {
        return cpuThreadsEach;
    }

    /**
     * Forward and backward of each replica's batches ({@code batches.get(r)} for replica r, all at once), the
     * gradients accumulating on each replica. Returns the loss summed over all of them, in replica order.
     */
    public LossSum forwardBackward(List<List<Batch>> batches, float lossScale) {
        if (batches.size() != count) {
            throw new IllegalArgumentException(batches.size() + " shares of batches for " + count + " replicas");
        }
        LossSum total = LossSum.ZERO;
        for (LossSum sum : values(run(r -> {
            LossSum own = LossSum.ZERO;
            for (Batch batch : batches.get(r)) {
                own = own.plus(replicas.get(r).model().forwardBackward(batch, lossScale));
            }
            return own;
        }))) {
            total = total.plus(sum);
        }
        return total;
    }

    /**
     * The loss of batches 0 to count - 1 without gradients, batch i computed by replica i mod N (made there by
     * {@code batch}); returned in batch order.
     */
    public List<LossSum> losses(int count, IntFunction<Batch> batch) {
        int n = replicas.size();
        List<List<LossSum>> own = values(run(r -> {
            List<LossSum> sums = new ArrayList<>();
            for (int i = r; i < count; i += n) {
                sums.add(replicas.get(r).model().loss(batch.apply(i)));
            }
            return sums;
        }));
        List<LossSum> ordered = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ordered.add(own.get(i % n).get(i / n));
        }
        return ordered;
    }

    /**
     * Adds every other replica's LoRA gradients into the first replica's, in replica order (each copied to the first
     * replica's device first), and zeroes them: the first then holds the gradient of the whole global batch.
     */
    public void sumGradientsIntoFirst() {
        List<TrainableParameter> target = first().model().trainableParameters();
        Device device = first().device();
        for (Replica replica : replicas.subList(1, replicas.size())) {
            List<TrainableParameter> source = replica.model().trainableParameters();
            for (int i = 0; i < target.size(); i++) {
                try (NDArray sum = target.get(i).array().getGradient();
                     NDArray gradient = source.get(i).array().getGradient()) {
                    if (gradient.getDevice().equals(device)) {
                        sum.addi(gradient);
                    } else {
                        try (NDArray moved = gradient.toDevice(device, true)) {
                            sum.addi(moved);
                        }
                    }
                    gradient.subi(gradient);
                }
            }
        }
    }

    /** Copies the first replica's LoRA weights into every other replica's (the same arrays, overwritten). */
    public void copyWeightsFromFirst() {
        List<TrainableParameter> source = first().model().trainableParameters();
        for (Replica replica : replicas.subList(1, replicas.size())) {
            List<TrainableParameter> target = replica.model().trainableParameters();
            for (int i = 0; i < source.size(); i++) {
                InPlace.copy(target.get(i).array(), source.get(i).array());
            }
        }
    }

    @Override
    public void close() {
        replicas.forEach(Replica::close);
        threads.forEach(ExecutorService::shutdownNow);
    }

    /** What one replica's task gave: a value, or the failure that ended it. */
    private record Outcome<T>(T value, Throwable failure) {
    }

    /**
     * Runs {@code task} for every replica index: each on its replica's thread, all at once, or on this thread for a
     * single replica. Waits for all of them, so no replica is still computing when a failure is reported.
     */
    private <T> List<Outcome<T>> run(IntFunction<T> task) {
        if (threads.isEmpty()) {
            try {
                return List.of(new Outcome<>(task.apply(0), null));
            } catch (RuntimeException | Error e) {
                return List.of(new Outcome<>(null, e));
            }
        }
        List<Future<T>> futures = new ArrayList<>(count);
        for (int r = 0; r < count; r++) {
            int replica = r;
            futures.add(threads.get(r).submit(() -> {
                useCpuShare();
                return task.apply(replica);
            }));
        }
        List<Outcome<T>> outcomes = new ArrayList<>(count);
        for (Future<T> future : futures) {
            outcomes.add(outcome(future));
        }
        return outcomes;
    }

    private static <T> Outcome<T> outcome(Future<T> future) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return new Outcome<>(future.get(), null);
                } catch (InterruptedException e) {
                    interrupted = true; // the replicas' work cannot be abandoned half-way: wait for it
                } catch (ExecutionException e) {
                    return new Outcome<>(null, e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sets this replica thread's intra-op thread count (only when it differs: setting it clears oneDNN's caches). */
    private void useCpuShare() {
        if (cpuThreadsEach > 0 && JniUtils.getNumThreads() != cpuThreadsEach) {
            JniUtils.setNumThreads(cpuThreadsEach);
        }
    }

    private static <T> List<T> values(List<Outcome<T>> outcomes) {
        rethrow(outcomes);
        return outcomes.stream().map(Outcome::value).toList();
    }

    /** Rethrows the first failure among {@code outcomes}, if any. */
    private static void rethrow(List<? extends Outcome<?>> outcomes) {
        for (Outcome<?> outcome : outcomes) {
            Throwable failure = outcome.failure();
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException("a replica failed: " + failure.getMessage(), failure);
            }
        }
    }
}
