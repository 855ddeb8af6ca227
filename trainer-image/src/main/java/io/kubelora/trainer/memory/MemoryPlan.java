package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.ModelConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The predicted peak memory of one training replica, per GPU (or, for a CPU run, of the host's tensors): what is
 * held all run, the largest working set of a micro-batch, the CUDA context and the caching allocator's reserve.
 * Made by {@link #of} from config.json and the run's settings alone: no weights, no data.
 *
 * @param config   the model's config.json
 * @param settings what the run does
 * @param held     device memory held all run: weights, adapters, optimizer state, kept layer inputs
 * @param phases   the working sets of a micro-batch's phases; the largest adds to the held memory at the peak
 * @param context  the CUDA context with the libraries' handles and workspaces (0 on a CPU)
 * @param reserve  what the caching allocator reserves beyond the tensors at the peak (0 on a CPU)
 * @param host     host memory the run moved off the device (embedding table, offloaded inputs or optimizer)
 */
public record MemoryPlan(ModelConfig config, PlanSettings settings, List<Item> held, List<Item> phases,
                         long context, long reserve, List<Item> host) {

    /** A named amount of memory, with how it was counted. */
    public record Item(String name, long bytes, String detail) {
    }

    public MemoryPlan {
        held = List.copyOf(held);
        phases = List.copyOf(phases);
        host = List.copyOf(host);
    }

    /** Plans {@code settings} for the model of {@code config}. */
    public static MemoryPlan of(ModelConfig config, PlanSettings settings) {
        return MemoryPlanner.plan(config, settings);
    }

    /** The micro-batch phase with the largest working set. */
    public Item peakPhase() {
        return phases.stream().max(Comparator.comparingLong(Item::bytes)).orElseThrow();
    }

    /** Bytes held all run on the device. */
    public long heldBytes() {
        return held.stream().mapToLong(Item::bytes).sum();
    }

    /** Tensor bytes at the peak: held plus the largest phase. */
    public long tensorBytes() {
        return heldBytes() + peakPhase().bytes();
    }

    /** The predicted peak per GPU: tensors, CUDA context and allocator reserve. */
    public long total() {
        return tensorBytes() + context + reserve;
    }

    /** The held item named {@code name}'s bytes, 0 when the plan has none. */
    public long bytesOf(String name) {
        return held.stream().filter(i -> i.name().equals(name)).mapToLong(Item::bytes).sum();
    }

    /** Host memory the run adds (beyond the process itself). */
    public long hostBytes() {
        return host.stream().mapToLong(Item::bytes).sum();
    }

    /** Whether the plan fits a device of {@code bytes}. */
    public boolean fits(long bytes) {
        return total() <= bytes;
    }

    /** Every line of the device plan in order: held items, the peak phase, context and reserve. */
    public List<Item> lines() {
        List<Item> lines = new ArrayList<>(held);
        Item peak = peakPhase();
        lines.add(new Item("step working set", peak.bytes(), "peak: " + peak.name()));
        if (context > 0) {
            lines.add(new Item("CUDA context", context, MemoryPlanner.CONTEXT_SOURCE));
        }
        if (reserve > 0) {
            lines.add(new Item("allocator reserve", reserve, MemoryPlanner.RESERVE_SOURCE));
        }
        return lines;
    }
}
