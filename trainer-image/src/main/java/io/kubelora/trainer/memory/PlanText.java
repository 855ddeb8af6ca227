package io.kubelora.trainer.memory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.model.ModelOptions;
import java.util.List;
import java.util.Locale;

/** A plan and its verdict as text for people (the plan command, the trainer's log and errors) or as JSON. */
public final class PlanText {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PlanText() {
    }

    /** The breakdown, one line per item, then the phases and the host memory. */
    public static String describe(MemoryPlan plan, String modelName) {
        StringBuilder out = new StringBuilder();
        ModelConfig c = plan.config();
        PlanSettings s = plan.settings();
        out.append(String.format(Locale.ROOT, "Memory plan for %s, %s: %s, %d layers, hidden %d, vocab %d%n",
                modelName, s.gpu() ? "per GPU" + (s.replicas() > 1 ? " (" + s.replicas() + " replicas)" : "")
                        : "CPU run (host memory)",
                c.architecture().name().toLowerCase(Locale.ROOT), c.numHiddenLayers(), c.hiddenSize(), c.vocabSize()));
        out.append("  ").append(settings(plan)).append('\n');
        for (MemoryPlan.Item item : plan.lines()) {
            out.append(line(item.name(), item.bytes(), item.detail()));
        }
        out.append(line("total", plan.total(), ""));
        out.append("  micro-batch phases:");
        for (MemoryPlan.Item phase : plan.phases()) {
            out.append(" ").append(phase.name()).append(' ').append(MemoryPlanner.gib(phase.bytes())).append(';');
        }
        out.setLength(out.length() - 1);
        out.append('\n').append("  ").append(plan.peakPhase().detail()).append('\n');
        for (MemoryPlan.Item item : plan.host()) {
            out.append(line("host: " + item.name(), item.bytes(), item.detail()));
        }
        return out.toString();
    }

    /** The verdict against a device and, when it does not fit, the advice. */
    public static String verdict(FitAdvice fit) {
        StringBuilder out = new StringBuilder();
        String device = (fit.plan().settings().gpu() ? "GPU memory " : "memory ") + MemoryPlanner.gib(fit.deviceBytes());
        if (fit.fits()) {
            out.append(device).append(": fits, ").append(MemoryPlanner.gib(fit.deviceBytes() - fit.plan().total()))
                    .append(" to spare\n");
            return out.toString();
        }
        out.append(device).append(": does not fit (the plan needs ").append(MemoryPlanner.gib(fit.plan().total()))
                .append(")\n");
        for (FitAdvice.Advice advice : fit.advice()) {
            out.append("  fits with ").append(advice.change()).append(": ")
                    .append(MemoryPlanner.gib(advice.plan().total())).append('\n');
        }
        fit.allChanges().ifPresent(all -> out.append("  does not fit even with every change (")
                .append(all.settings().options().nf4() ? "nf4, " : "").append("checkpointing, offloading, batch ")
                .append(all.settings().batchSize()).append(", sequence ").append(all.settings().seqLength())
                .append("): that needs ").append(MemoryPlanner.gib(all.total())).append('\n'));
        return out.toString();
    }

    /** The stop of a run that cannot fit, for its log and termination message: verdict, advice, then the plan. */
    public static String wontFit(FitAdvice fit, String modelName) {
        return "the run cannot fit the GPU: its memory plan needs " + MemoryPlanner.gib(fit.plan().total())
                + " of the " + MemoryPlanner.gib(fit.deviceBytes()) + " the GPU has, so it stopped before downloading"
                + " the weights of " + modelName + ". " + advice(fit) + " Plan: " + brief(fit.plan())
                + ". training.memoryCheck: warn trains anyway.";
    }

    /**
     * The advice of a verdict in one sentence: each change that makes the plan fit with its total, or the memory it
     * needs even with every change.
     */
    public static String advice(FitAdvice fit) {
        if (fit.fits()) {
            return "It fits.";
        }
        if (fit.advice().isEmpty()) {
            return "It does not fit even with nf4, checkpointing, offloading, batch 1 and short sequences: that "
                    + "needs " + MemoryPlanner.gib(fit.allChanges().orElseThrow().total()) + ".";
        }
        StringBuilder out = new StringBuilder("It fits with ");
        for (int i = 0; i < fit.advice().size(); i++) {
            FitAdvice.Advice a = fit.advice().get(i);
            out.append(i == 0 ? "" : "; or ").append(a.change()).append(" (")
                    .append(MemoryPlanner.gib(a.plan().total())).append(')');
        }
        return out.append('.').toString();
    }

    /** The plan's lines in one line: name and size of each, then the total. */
    public static String brief(MemoryPlan plan) {
        StringBuilder out = new StringBuilder();
        for (MemoryPlan.Item item : plan.lines()) {
            out.append(item.name()).append(' ').append(MemoryPlanner.gib(item.bytes())).append(", ");
        }
        return out.append("total ").append(MemoryPlanner.gib(plan.total())).toString();
    }

    /** The plan, and the verdict when {@code fit} is non-null, as JSON. */
    public static String json(MemoryPlan plan, String modelName, FitAdvice fit) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", modelName);
        root.put("device", plan.settings().gpu() ? "gpu" : "cpu");
        root.put("replicas", plan.settings().replicas());
        root.put("settings", settings(plan));
        root.set("items", items(plan.lines()));
        root.set("phases", items(plan.phases()));
        root.put("peak_phase", plan.peakPhase().name());
        root.put("total_bytes", plan.total());
        root.set("host", items(plan.host()));
        root.put("host_bytes", plan.hostBytes());
        if (fit != null) {
            root.put("device_memory_bytes", fit.deviceBytes());
            root.put("fits", fit.fits());
            ArrayNode advice = root.putArray("advice");
            for (FitAdvice.Advice a : fit.advice()) {
                advice.addObject().put("change", a.change()).put("total_bytes", a.plan().total())
                        .put("fits", a.plan().fits(fit.deviceBytes()));
            }
            fit.allChanges().ifPresent(all -> root.put("needs_bytes_with_every_change", all.total()));
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The settings that shape the plan, in one line. */
    static String settings(MemoryPlan plan) {
        PlanSettings s = plan.settings();
        ModelOptions o = s.options();
        String linears = o.nf4() ? "nf4 decoder linears" : (o.bf16Compute() ? "bf16" : "fp32") + " decoder linears";
        String checkpointing = o.gradientCheckpointing()
                ? "checkpointing (layer inputs " + (o.offloadActivations() ? "offloaded to host memory" : "kept on the "
                        + (s.gpu() ? "GPU" : "device")) + ")"
                : "no checkpointing";
        return String.format(Locale.ROOT, "%s compute, %s, LoRA r=%d on %d modules, batch %d x %d tokens, %s%s%s",
                o.bf16Compute() ? "bf16" : "fp32", linears, s.loraRank(), s.loraModules().size(), s.batchSize(),
                s.seqLength(), checkpointing, o.embeddingOnHost(plan.config()) ? ", embedding in host memory" : "",
                s.optimizerOffload() ? ", optimizer in host memory" : "");
    }

    private static String line(String name, long bytes, String detail) {
        return String.format(Locale.ROOT, "  %-28s %11s  %s%n", name, MemoryPlanner.gib(bytes), detail).stripTrailing()
                + "\n";
    }

    private static ArrayNode items(List<MemoryPlan.Item> items) {
        ArrayNode array = JSON.createArrayNode();
        for (MemoryPlan.Item item : items) {
            array.addObject().put("name", item.name()).put("bytes", item.bytes()).put("detail", item.detail());
        }
        return array;
    }
}
