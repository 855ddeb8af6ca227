package io.kubelora.trainer.device;

import java.util.Map;
import java.util.Optional;

/**
 * Peak memory of one CUDA device over a stretch of work, read through the CUDA runtime libtorch loaded.
 *
 * <p>libtorch's default caching allocator keeps its statistics (torch.cuda.max_memory_allocated) in C++ objects
 * that neither DJL nor TorchScript can reach. Two readings are possible from Java:
 * <ul>
 *   <li>with {@code PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync} libtorch allocates from the device's default
 *       stream-ordered memory pool, whose used and reserved high-water marks the runtime reports exactly (they
 *       are what torch.cuda.max_memory_allocated and max_memory_reserved return with that backend);</li>
 *   <li>with the caching allocator only the device's used memory is visible: its growth since the device's CUDA
 *       context was made bounds the reserved peak from above (it also counts kernels loaded on first use and
 *       library workspaces), and the allocated peak is unknown.</li>
 * </ul>
 */
public final class GpuMemory {

    private final CudaRuntime runtime;
    private final int device;
    private final boolean pool;
    private final long contextBytes;
    private long peakUsed;

    private GpuMemory(CudaRuntime runtime, int device, boolean pool, long contextBytes) {
        this.runtime = runtime;
        this.device = device;
        this.pool = pool;
        this.contextBytes = contextBytes;
    }

    /** Peaks in bytes: {@code allocated} and {@code reserved} may be null when unknown; {@code how} says which. */
    public record Peaks(Long allocated, Long reserved, String how) {
    }

    /**
     * Starts watching CUDA device {@code device}; call before libtorch allocates anything on it, so that the
     * device's used memory at this point is its CUDA context (and other processes). Empty without a CUDA runtime.
     */
    public static Optional<GpuMemory> watch(int device, Map<String, String> environment) {
        Optional<CudaRuntime> runtime = CudaRuntime.of(LibtorchBuild.current());
        if (runtime.isEmpty()) {
            return Optional.empty();
        }
        long[] memory = runtime.get().memoryInfo(device);
        long used = memory == null ? 0 : memory[1] - memory[0];
        return Optional.of(new GpuMemory(runtime.get(), device, usesMemoryPool(environment), used));
    }

    /** Whether libtorch allocates from the CUDA memory pool (its cudaMallocAsync backend). */
    static boolean usesMemoryPool(Map<String, String> environment) {
        for (String name : new String[] {"PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_ALLOC_CONF"}) {
            String conf = environment.get(name);
            if (conf != null && conf.replace(" ", "").contains("backend:cudaMallocAsync")) {
                return true;
            }
        }
        return false;
    }

    /** The device's used memory when watching began: its CUDA context (and other processes'). */
    public long contextBytes() {
        return contextBytes;
    }

    /** Starts the peaks over from now (the weights and everything else already held stay counted). */
    public void resetPeaks() {
        if (pool) {
            runtime.resetPoolPeaks(device);
        }
        peakUsed = usedNow();
    }

    /** Records the device's used memory now (call at the end of every step: the caching allocator only grows). */
    public void sample() {
        peakUsed = Math.max(peakUsed, usedNow());
    }

    public Peaks peaks() {
        sample();
        if (pool) {
            long[] usage = runtime.poolUsage(device);
            if (usage != null) {
                return new Peaks(usage[1], usage[3], "CUDA memory pool high-water marks (libtorch backend cudaMallocAsync)");
            }
        }
        return new Peaks(null, Math.max(0, peakUsed - contextBytes),
                "device used memory above its CUDA context (an upper bound of the reserved peak); the allocated peak "
                        + "needs PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync");
    }

    private long usedNow() {
        long[] memory = runtime.memoryInfo(device);
        return memory == null ? 0 : memory[1] - memory[0];
    }
}
