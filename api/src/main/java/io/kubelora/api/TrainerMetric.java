package io.kubelora.api;

/**
 * The Prometheus metrics a trainer serves on /metrics while it runs: the trainer registers them by these names
 * and the operator reads them for the LoraFineTune's status.progress, so the names are spelled here only.
 */
public enum TrainerMetric {
    STEP("kubelora_step", "Optimizer steps done."),
    TOTAL_STEPS("kubelora_total_steps", "Optimizer steps of the whole run."),
    EPOCH("kubelora_epoch", "Epochs done, fractional."),
    LOSS("kubelora_loss", "Training loss of the last logged step."),
    EVAL_LOSS("kubelora_eval_loss", "Last measured evaluation loss."),
    EVAL_PERPLEXITY("kubelora_eval_perplexity", "Perplexity of the last evaluation, exp(eval loss)."),
    EVAL_ACCURACY("kubelora_eval_accuracy", "Next-token accuracy on the loss tokens of the last evaluation."),
    BEST_EVAL_LOSS("kubelora_best_eval_loss", "Lowest evaluation loss so far."),
    BEST_EVAL_STEP("kubelora_best_eval_step", "Step of the lowest evaluation loss so far."),
    LEARNING_RATE("kubelora_learning_rate", "Learning rate of the last step."),
    GRAD_NORM("kubelora_grad_norm", "Global gradient norm before clipping."),
    TOKENS_PER_SECOND("kubelora_tokens_per_second", "Trained tokens per second."),
    ETA_SECONDS("kubelora_eta_seconds", "Estimated seconds until training ends."),
    MERGING("kubelora_merging", "1 while the adapter is merged into the base model."),
    /** One sample per GPU of the run, labelled {@link #DEVICE_LABEL}. */
    GPU_MEMORY_BYTES("kubelora_gpu_memory_bytes", "GPU memory in use on each of the trainer's GPUs."),
    PLANNED_PEAK_BYTES("kubelora_planned_peak_bytes",
            "Peak memory the run's memory plan predicted: per GPU, or the host's tensors on a CPU run."),
    PEAK_MEMORY_BYTES("kubelora_peak_memory_bytes",
            "Measured peak memory: GPU memory in use after any step (the largest of the run's GPUs), or the "
                    + "peak resident set on a CPU run."),
    WEIGHT_BYTES("kubelora_weight_bytes", "Bytes held by the frozen base weights, device and host."),
    NF4_BITS_PER_PARAMETER("kubelora_nf4_bits_per_parameter",
            "Bits held per quantized decoder-linear parameter with NF4 (NaN without)."),
    /** A counter: Prometheus exposes it with the suffix {@code _total}. */
    TRAINED_TOKENS("kubelora_trained_tokens", "Input tokens trained on.");

    /** The label naming the device of a per-device metric, e.g. {@code device="cuda:1"}. */
    public static final String DEVICE_LABEL = "device";

    private final String metricName;
    private final String help;

    TrainerMetric(String metricName, String help) {
        this.metricName = metricName;
        this.help = help;
    }

    /** The name as registered, e.g. {@code kubelora_step}. */
    public String metricName() {
        return metricName;
    }

    /** The HELP text of the metric. */
    public String help() {
        return help;
    }
}
