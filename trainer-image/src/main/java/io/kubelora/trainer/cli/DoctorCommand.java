package io.kubelora.trainer.cli;

import io.kubelora.trainer.doctor.Doctor;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** kubelora doctor: can this machine train, and does its GPU compute what its CPU computes? */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check Java, DJL and libtorch, list the CUDA devices libtorch can use, and compare a tiny LoRA "
                + "forward and backward (fp32 and bf16) and an NF4 dequantization on each GPU with the CPU. The last "
                + "line is 'doctor: OK' (exit 0) or 'doctor: FAILED: <reason>' (exit 1).")
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--require-gpu",
            description = "Fail when libtorch can use no CUDA device (without it a machine without GPU passes).")
    boolean requireGpu;

    @Override
    public Integer call() {
        return Doctor.run(System.out, requireGpu).ok() ? 0 : 1;
    }
}
