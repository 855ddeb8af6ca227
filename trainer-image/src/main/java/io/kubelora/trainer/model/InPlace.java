package io.kubelora.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Overwrites an array's values with host values or another array's, keeping the array (and so any optimizer or model
 * holding it).
 * Goes through an indexed copy rather than DJL's {@code NDArray.set(Buffer)}, whose native side still uses a
 * deprecated libtorch guard and makes libtorch print a deprecation warning on first use.
 */
public final class InPlace {

    private InPlace() {
    }

    /** {@code target[...] = values} (row-major, as many as target has elements), outside autograd. */
    public static void assign(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException("cannot assign " + values.length + " values to an array of shape "
                    + target.getShape());
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false); // an in-place write to a leaf that requires grad is refused otherwise
        try (NDArray source = target.getManager().create(values, target.getShape())) {
            target.set(new NDIndex("..."), source);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** {@code target[...] = source} for arrays of one shape, on the same device or not, outside autograd. */
    public static void copy(NDArray target, NDArray source) {
        if (!target.getShape().equals(source.getShape())) {
            throw new IllegalArgumentException("cannot copy an array of shape " + source.getShape() + " into one of "
                    + target.getShape());
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDArray moved = source.toDevice(target.getDevice(), true)) {
            target.set(new NDIndex("..."), moved);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
