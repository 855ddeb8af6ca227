package io.kubelora.trainer.cli;

import ai.djl.Device;
import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneSpec;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.TrainerExitCode;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.memory.FitAdvice;
import io.kubelora.trainer.memory.MemoryPlan;
import io.kubelora.trainer.memory.PlanText;
import io.kubelora.trainer.model.ModelConfig;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.train.SpecTranslation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * kubelora plan -f FILE.yaml: the run's memory per GPU, from the model's config.json alone (no weights, no data),
 * and with --gpu-memory a verdict and the changes that would make it fit.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan the GPU memory of a LoraFineTune from its model's config.json alone (nothing else is "
                + "downloaded): weights, adapters, optimizer, activations, CUDA context; with --gpu-memory, whether "
                + "it fits and what would make it fit.",
                "Exit code 0, or 5 when the plan does not fit --gpu-memory."})
final class PlanCommand implements Callable<Integer> {

    enum Output { TEXT, JSON }

    @Option(names = {"-f", "--config"}, required = true, paramLabel = "FILE",
            description = "The LoraFineTune YAML (the same file you would kubectl apply).")
    Path config;

    @Option(names = "--gpu-memory", paramLabel = "SIZE",
            description = "Memory of one GPU, e.g. 24Gi or 80GB: adds the verdict and the advice.")
    String gpuMemory;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Data-parallel replicas, one per GPU; the plan is per GPU (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json (default ${DEFAULT-VALUE}).")
    Output output;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        if (replicas < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1, was " + replicas);
        }
        LoraFineTune resource = LoraFineTuneYaml.read(config);
        ValidateCommand.refuseProfile(resource, config);
        LoraFineTuneSpec spec = resource.getSpec();
        Long memory = gpuMemory == null ? null : ByteSize.parse(gpuMemory, "--gpu-memory");
        // A CPU run (resources.gpus: 0) is planned as such, unless a GPU size asks about a GPU.
        Device device = spec.resources().gpus() == 0 && memory == null ? Device.cpu() : Device.gpu();
        ModelConfig model;
        try (Storage storage = Storage.fromEnvironment(System.getenv(), Path.of("").toAbsolutePath())) {
            model = ModelConfig.read(storage.fetchModelConfig(spec.baseModel().uri()).getParent());
        }
        MemoryPlan plan = MemoryPlan.of(model, SpecTranslation.planSettings(spec, device, replicas));
        FitAdvice fit = memory == null ? null : FitAdvice.of(plan, memory);
        PrintWriter out = command.commandLine().getOut();
        String name = spec.baseModel().uri();
        out.print(output == Output.JSON ? PlanText.json(plan, name, fit)
                : PlanText.describe(plan, name) + (fit == null ? "" : PlanText.verdict(fit)));
        out.flush();
        return fit == null || fit.fits() ? 0 : TrainerExitCode.WONT_FIT.code();
    }
}
