package io.kubelora.trainer.memory;

import io.kubelora.trainer.model.ModelOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A plan measured against a device's memory: the verdict, and the changes that would make a plan that does not fit
 * fit, each with its new total. Single changes are tried first, in the order that costs least: NF4 weights,
 * checkpointing, offloading the kept layer inputs, offloading the optimizer, a smaller micro-batch with more
 * accumulation (the same effective batch), a shorter sequence. When none fits alone they are combined in that order
 * until the plan fits.
 *
 * @param plan        the plan judged
 * @param deviceBytes the memory of the device it is judged against
 * @param advice      changes that make it fit, each planned; empty when it fits already or nothing makes it fit
 * @param allChanges  when nothing fits: the plan with every change, whose total says how much memory it needs
 */
public record FitAdvice(MemoryPlan plan, long deviceBytes, List<Advice> advice, Optional<MemoryPlan> allChanges) {

    /** The shortest sequence the advice goes down to. */
    static final int MIN_SEQ_LENGTH = 256;

    public FitAdvice {
        advice = List.copyOf(advice);
    }

    /**
     * One change of the run's spec and its plan.
     *
     * @param change the spec fields to set, e.g. {@code quantization: nf4}
     * @param plan   the plan with the change
     */
    public record Advice(String change, MemoryPlan plan) {
    }

    /** Whether the plan fits. */
    public boolean fits() {
        return plan.fits(deviceBytes);
    }

    /** Judges {@code plan} against a device of {@code deviceBytes}. */
    public static FitAdvice of(MemoryPlan plan, long deviceBytes) {
        if (plan.fits(deviceBytes)) {
            return new FitAdvice(plan, deviceBytes, List.of(), Optional.empty());
        }
        List<Change> changes = changes(plan.settings());
        List<Advice> single = new ArrayList<>();
        for (Change change : changes) {
            Advice advice = change.apply(plan, deviceBytes);
            if (advice != null && advice.plan().fits(deviceBytes)) {
                single.add(advice);
            }
        }
        if (!single.isEmpty()) {
            return new FitAdvice(plan, deviceBytes, single, Optional.empty());
        }
        MemoryPlan combined = plan;
        List<String> applied = new ArrayList<>();
        for (Change change : changes) {
            Advice advice = change.apply(combined, deviceBytes);
            if (advice == null) {
                continue;
            }
            combined = advice.plan();
            applied.add(advice.change());
            if (combined.fits(deviceBytes)) {
                return new FitAdvice(plan, deviceBytes, List.of(new Advice(String.join(", ", applied), combined)),
                        Optional.empty());
            }
        }
        return new FitAdvice(plan, deviceBytes, List.of(), Optional.of(combined));
    }

    /** A change of a plan's settings aimed at a device size, or null when it does not apply to them. */
    @FunctionalInterface
    private interface Change {
        Advice apply(MemoryPlan plan, long deviceBytes);
    }

    private static List<Change> changes(PlanSettings original) {
        long effectiveBatch = (long) original.batchSize() * original.gradientAccumulationSteps();
        return List.of(
                option(o -> !o.nf4(), o -> o.withNf4(true), "quantization: nf4"),
                option(o -> !o.gradientCheckpointing(), o -> o.withGradientCheckpointing(true),
                        "training.gradientCheckpointing: true"),
                option(o -> !o.offloadActivations(),
                        o -> o.withGradientCheckpointing(true).withOffloadActivations(true),
                        "training.offloadActivations: true"),
                (plan, device) -> plan.settings().optimizerOffload() ? null
                        : advice(plan, plan.settings().withOptimizerOffload(true), "training.optimizerOffload: true"),
                (plan, device) -> smallerBatch(plan, device, effectiveBatch),
                FitAdvice::shorterSequence);
    }

    private static Change option(Predicate<ModelOptions> applies, UnaryOperator<ModelOptions> apply, String change) {
        return (plan, device) -> applies.test(plan.settings().options())
                ? advice(plan, plan.settings().withOptions(apply.apply(plan.settings().options())), change) : null;
    }

    private static Advice advice(MemoryPlan plan, PlanSettings settings, String change) {
        return new Advice(change, MemoryPlan.of(plan.config(), settings));
    }

    /**
     * The largest halved micro-batch that makes the plan fit, else a batch of 1; accumulation grows so that the
     * effective batch stays at least {@code effectiveBatch}.
     */
    private static Advice smallerBatch(MemoryPlan plan, long device, long effectiveBatch) {
        PlanSettings s = plan.settings();
        Advice last = null;
        for (int batch = s.batchSize() / 2; batch >= 1; batch /= 2) {
            int accumulation = (int) Math.min(Integer.MAX_VALUE, (effectiveBatch + batch - 1) / batch);
            last = advice(plan, s.withBatch(batch, accumulation), "training.batchSize: " + batch
                    + ", training.gradientAccumulationSteps: " + accumulation);
            if (last.plan().fits(device)) {
                break;
            }
        }
        return last;
    }

    /** The longest halved sequence length that makes the plan fit, else the shortest, down to 256 tokens. */
    private static Advice shorterSequence(MemoryPlan plan, long device) {
        PlanSettings s = plan.settings();
        Advice last = null;
        for (int length = s.seqLength() / 2; length >= MIN_SEQ_LENGTH; length /= 2) {
            last = advice(plan, s.withSeqLength(length), "dataset.maxSeqLength: " + length);
            if (last.plan().fits(device)) {
                break;
            }
        }
        return last;
    }
}
