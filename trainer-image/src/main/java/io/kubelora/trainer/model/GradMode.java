package io.kubelora.trainer.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Sets libtorch's thread-local grad mode for a block and restores the previous mode on close. Used instead
 * of DJL's GradientCollector, of which only one may exist per JVM, and which is not needed here since
 * backward is called directly with explicit upstream gradients.
 */
final class GradMode implements AutoCloseable {

    private final boolean previous;

    private GradMode(boolean enabled) {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(enabled);
    }

    static GradMode enabled() {
        return new GradMode(true);
    }

    static GradMode disabled() {
        return new GradMode(false);
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
