package io.kubelora.trainer.train;

import ai.djl.Device;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.MemoryCheck;
import io.kubelora.trainer.memory.FitAdvice;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanText;
import io.kubelora.trainer.memory.WontFitException;
import io.kubelora.trainer.model.ModelConfig;
import java.io.PrintStream;

/**
 * A run's memory plan and fit check, made from config.json alone before anything else is downloaded: the plan is
 * logged, and compared with the GPU's memory (as the device reports it, or a size given for machines where it cannot
 * be read; with a size a CPU run is planned as the GPU run it stands for). training.memoryCheck decides what a
 * plan that does not fit does: enforce stops the run, warn logs the verdict, off skips the comparison.
 */
final class FitCheck {

    private FitCheck() {
    }

    /**
     * The plan of {@code spec} on {@code device}, the first of {@code replicas} (one per GPU); throws
     * {@link WontFitException} when it does not fit the GPU's memory ({@code gpuMemory}, or the device's own when
     * null) and training.memoryCheck is enforce.
     */
    static MemoryPlan run(ModelConfig config, LoraFineTuneSpec spec, Device device, int replicas, Long gpuMemory,
                          PrintStream log) {
        Device planned = device.isGpu() || gpuMemory == null ? device : Device.gpu();
        MemoryPlan plan = MemoryPlan.of(config, SpecTranslation.planSettings(spec, planned, replicas));
        String model = spec.baseModel().uri();
        log.print(PlanText.describe(plan, model));
        Long memory = gpuMemory != null ? gpuMemory : DeviceMemory.total(device);
        MemoryCheck check = spec.training().memoryCheck();
        if (memory == null || check == MemoryCheck.OFF) {
            return plan;
        }
        FitAdvice fit = FitAdvice.of(plan, memory);
        String verdict = PlanText.verdict(fit);
        log.print(verdict);
        if (!fit.fits() && check == MemoryCheck.ENFORCE) {
            throw new WontFitException(PlanText.wontFit(fit, model), fit);
        }
        return plan;
    }
}
