package io.kubelora.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Set;

/**
 * Random weights of a {@link ModelConfig}, made where they are used instead of read from files: the same
 * initialisation as {@link ModelInitializer} (norms 1, biases 0, matrices normal), drawn by libtorch on the
 * target device (on the host for the arrays that quantizers read).
 * With it a benchmark or memory measurement of a real shape (an 8B model, say) needs no download and no disk.
 */
final class RandomWeights implements WeightSource {

    private final ModelConfig config;
    private final Set<String> names;

    /** Values come from libtorch's generator: seed it (Engine.setRandomSeed) for repeatable weights. */
    RandomWeights(ModelConfig config) {
        this.config = config;
        this.names = ModelInitializer.tensorShapes(config).keySet();
    }

    @Override
    public String origin() {
        return "random weights of a " + config.architecture() + " shape";
    }

    @Override
    public boolean contains(String name) {
        return names.contains(name);
    }

    @Override
    public NDArray loadRows(String name, long[] expectedShape, long firstRow, long rowCount, NDManager manager) {
        requireKnown(name);
        long[] rows = expectedShape.clone();
        if (rows.length > 0) {
            rows[0] = rowCount;
        }
        Shape shape = new Shape(rows);
        if (ModelInitializer.isNorm(name)) {
            return manager.ones(shape, DataType.FLOAT32);
        }
        if (ModelInitializer.isBias(name)) {
            return manager.zeros(shape, DataType.FLOAT32);
        }
        return manager.randomNormal(0f, (float) ModelInitializer.initStd(name, config), shape, DataType.FLOAT32);
    }

    /** Drawn by libtorch on the host (several times faster than a Java generator for billions of values). */
    @Override
    public float[] loadFloats(String name, long[] expectedShape) {
        try (NDManager host = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             NDArray values = load(name, expectedShape, host)) {
            return values.toFloatArray();
        }
    }

    private void requireKnown(String name) {
        if (!names.contains(name)) {
            throw new ModelLoadException(origin() + ": no tensor '" + name + "'");
        }
    }
}
