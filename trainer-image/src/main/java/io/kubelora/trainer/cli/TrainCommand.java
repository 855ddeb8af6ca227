package io.kubelora.trainer.cli;

import io.kubelora.api.LoraFineTune;
import io.kubelora.api.LoraFineTuneYaml;
import io.kubelora.api.TrainerEnvironment;
import io.kubelora.trainer.device.DeviceRequest;
import io.kubelora.trainer.memory.ByteSize;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.train.FineTuneRun;
import io.kubelora.trainer.train.SpecTranslation;
import io.kubelora.trainer.train.TrainerMetrics;
import io.kubelora.trainer.train.TrainingObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** kubelora train -f FILE.yaml: runs a LoraFineTune on this machine (or in the training pod). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a model as described by a LoraFineTune YAML file.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = {"-f", "--config"}, required = true, paramLabel = "FILE",
            description = "The LoraFineTune YAML (the same file you would kubectl apply).")
    Path config;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics on this port while training (0 picks a free port).")
    Integer metricsPort;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N",
            description = "Train here instead of where spec.resources.gpus says (0 = the CPU, N = CUDA device 0 of N "
                    + "usable ones); a GPU that libtorch cannot use is an error, never a CPU run.")
    String device;

    @Option(names = "--replicas", paramLabel = "N",
            description = "Data-parallel replicas: N threads sharing the CPU's cores, or one per GPU from the first "
                    + "(default: one on the CPU, one per GPU of the run). training.batchSize is per replica.")
    Integer replicas;
    @Option(names = "--gpu-memory", paramLabel = "SIZE",
            description = "Check the run's memory plan against a GPU of this size (e.g. 24Gi) instead of the GPU's own "
                    + "memory; on a machine without a GPU the run is planned as a GPU run. Default: "
                    + "KUBELORA_GPU_MEMORY, else the device's.")
    String gpuMemory;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Local folder for staging and downloads (default: KUBELORA_CACHE_DIR or ./.kubelora).")
    Path workDir;

    /** --gpu-memory, else KUBELORA_GPU_MEMORY, else null (the device's own). */
    private Long gpuMemoryBytes() {
        String size = gpuMemory != null ? gpuMemory : System.getenv(TrainerEnvironment.GPU_MEMORY);
        return size == null || size.isBlank() ? null
                : ByteSize.parse(size, gpuMemory != null ? "--gpu-memory" : TrainerEnvironment.GPU_MEMORY);
    }

    @Override
    public Integer call() throws Exception {
        LoraFineTune resource = LoraFineTuneYaml.read(config);
        ValidateCommand.refuseProfile(resource, config);
        Path work = workDir != null ? workDir
                : Path.of(System.getenv().getOrDefault("KUBELORA_CACHE_DIR", ".kubelora"));
        List<TrainingObserver> observers = new ArrayList<>();
        TrainerMetrics metrics = metricsPort == null ? null : new TrainerMetrics(metricsPort);
        if (metrics != null) {
            observers.add(metrics);
            System.err.println("Serving metrics on :" + metrics.port() + "/metrics");
        }
        try (Storage storage = Storage.fromEnvironment(System.getenv(), Path.of("").toAbsolutePath())) {
            DeviceRequest request = SpecTranslation.deviceRequest(resource.getSpec(), System.getenv(), device);
            if (replicas != null) {
                request = request.withReplicas(replicas, "--replicas " + replicas);
            }
            FineTuneRun.Result result = new FineTuneRun(resource, storage, work, System.err, observers, request,
                    gpuMemoryBytes()).execute();
            TerminationMessage.write(result.trainerResult().toJson());
            System.out.println(result.mergedModelUri() == null ? result.adapterUri()
                    : result.adapterUri() + "\n" + result.mergedModelUri());
            return 0;
        } finally {
            if (metrics != null) {
                metrics.close();
            }
        }
    }
}
