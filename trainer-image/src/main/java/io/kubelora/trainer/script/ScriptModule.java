package io.kubelora.trainer.script;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A TorchScript module written from Java ({@link TorchScriptArchive}) and loaded into libtorch, whose methods
 * take and return tensors. Calls run in training mode, so autograd records them like any DJL op (the inference
 * path would run in InferenceMode, whose results cannot be backpropagated). A call costs about 35 us of
 * overhead, negligible beside a matmul.
 */
public final class ScriptModule implements AutoCloseable {

    /** DJL's convention: an input array with this name prefix selects the method instead of being passed. */
    private static final String METHOD_PREFIX = "module_method:";

    private final PtSymbolBlock block;
    private final NDManager manager;
    private final Map<String, NDArray> methodSelectors = new HashMap<>();

    private ScriptModule(PtSymbolBlock block, NDManager manager) {
        this.block = block;
        this.manager = manager;
    }

    /**
     * Compiles the module with the given methods (see {@link TorchScriptArchive#write}); its handle and the
     * small arrays that select methods belong to a sub-manager of {@code parent}.
     */
    public static ScriptModule load(String className, String methods, NDManager parent) {
        Path file = null;
        try {
            file = Files.createTempFile("kubelora-" + className, ".pt");
            TorchScriptArchive.write(file, className, methods);
            NDManager manager = parent.newSubManager();
            try {
                PtSymbolBlock block = JniUtils.loadModule((PtNDManager) manager, file, true, new String[0],
                        new String[0], false);
                return new ScriptModule(block, manager);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TorchScript module " + className + ": " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    /**
     * Calls {@code method} on the given tensors and returns its single tensor result, attached to the first
     * input's manager (like DJL's own ops).
     */
    public NDArray call(String method, NDArray... inputs) {
        if (inputs.length == 0) {
            throw new IllegalArgumentException("a script call needs at least one input tensor");
        }
        NDList list = new NDList(inputs.length + 1);
        for (NDArray input : inputs) {
            list.add(input);
        }
        list.add(methodSelectors.computeIfAbsent(method, this::selector)); // last: results go to inputs[0]'s manager
        NDList out = IValueUtils.forward(block, list, true);
        if (out.size() != 1) {
            out.close();
            throw new IllegalStateException("script method " + method + " returned " + out.size() + " values");
        }
        return out.singletonOrThrow();
    }

    private NDArray selector(String method) {
        if (!method.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a TorchScript method name: " + method);
        }
        NDArray marker = manager.zeros(new Shape(1));
        marker.setName(METHOD_PREFIX + method);
        return marker;
    }

    @Override
    public void close() {
        block.close();
        manager.close();
    }
}
