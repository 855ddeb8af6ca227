package io.kubelora.trainer.train;

import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.FitAdvice;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanText;
import java.util.regex.Pattern;

/**
 * Running out of memory, told apart by where: the GPU (CUDA's out-of-memory in any of the forms libtorch reports
 * it), libtorch's host allocator, the JVM's heap or its direct buffers. Each becomes an error that says so, with the
 * run's memory plan and the changes that would lower it.
 */
final class OutOfMemoryReports {

    /** CUDA's caching allocator, the runtime, cuBLAS and cuDNN running out of device memory. */
    private static final Pattern GPU = Pattern.compile("CUDA out of memory|CUDA error: out of memory"
            + "|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED"
            + "|OutOfMemoryError: CUDA");
    /** libtorch's CPU allocator, and C++ allocation failures. */
    private static final Pattern HOST = Pattern.compile("DefaultCPUAllocator: (can't allocate memory|not enough memory)"
            + "|std::bad_alloc");
    /** What the advice after an out-of-memory error aims for: a plan this much below the one that failed. */
    private static final double ADVICE_TARGET = 0.8;

    private OutOfMemoryReports() {
    }

    /** The error that explains {@code e} when it is running out of memory, else null. */
    static RuntimeException explain(Throwable e, MemoryPlan plan) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String text = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof OutOfMemoryError) {
                String where = text.contains("Direct buffer memory") || text.contains("Cannot reserve")
                        ? "the JVM's direct buffers" : "the JVM heap";
                return new OutOfHostMemoryException("out of host memory (" + where + ": " + firstLine(text)
                        + "): raise spec.resources.memory (the JVM takes a share of it, JAVA_OPTS "
                        + "-XX:MaxRAMPercentage) or lower training.batchSize or dataset.maxSeqLength. "
                        + hostPlan(plan), e);
            }
            if (HOST.matcher(text).find()) {
                return new OutOfHostMemoryException("out of host memory (libtorch's native allocations: "
                        + firstLine(text) + "): raise spec.resources.memory or lower training.batchSize or "
                        + "dataset.maxSeqLength. " + hostPlan(plan), e);
            }
            if (GPU.matcher(text).find()) {
                FitAdvice lower = FitAdvice.of(plan, (long) (ADVICE_TARGET * plan.total()));
                return new OutOfGpuMemoryException("out of GPU memory: " + firstLine(text) + " The run's memory plan "
                        + "(" + PlanText.brief(plan) + ") was below what it needed. Changes that lower the plan by a "
                        + "fifth: " + PlanText.advice(lower), e);
            }
        }
        return null;
    }

    /** What the plan puts in host memory: on a GPU run what it moved off the device, on a CPU run everything. */
    private static String hostPlan(MemoryPlan plan) {
        if (!plan.settings().gpu()) {
            return "The memory plan: " + PlanText.brief(plan) + ".";
        }
        StringBuilder out = new StringBuilder("Beside the process itself the plan puts ")
                .append(ByteSize.gib(plan.hostBytes())).append(" in host memory");
        plan.host().forEach(i -> out.append(i == plan.host().get(0) ? " (" : ", ").append(i.name()).append(' ')
                .append(ByteSize.gib(i.bytes())));
        return out.append(plan.host().isEmpty() ? "." : ").").toString();
    }

    private static String firstLine(String text) {
        String line = text.strip().lines().findFirst().orElse("").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
