/**
 * Benchmarks, apart from the code they measure: {@link io.kubelora.trainer.bench.TrainBench} (training
 * throughput, {@code kubelora bench}), {@link io.kubelora.trainer.bench.Nf4Bench} (NF4 memory and dequantization
 * speed, {@code kubelora nf4-bench}), {@link io.kubelora.trainer.bench.LoadBench} (host memory of loading a model,
 * {@code kubelora load-bench}) and {@link io.kubelora.trainer.bench.MergeBench} (merge throughput against a plain
 * copy, a {@code main} program). Each prints its figures; none is a pass/fail test.
 */
package io.kubelora.trainer.bench;
