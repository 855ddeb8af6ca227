package io.kubelora.trainer.storage;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/** Wraps a real client and records every request that reaches it, in order. */
final class RecordingS3Client {

    private RecordingS3Client() {
    }

    static S3Client wrap(S3Client real, List<SdkRequest> log) {
        return wrap(real, log, 0);
    }

    /** As {@link #wrap(S3Client, List)}, each GetObject answered {@code getDelayMillis} later (a slow link). */
    static S3Client wrap(S3Client real, List<SdkRequest> log, long getDelayMillis) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.isDefault() && args != null && args.length > 0 && args[0] instanceof Consumer) {
                // the builder-lambda overloads build the request and call the recorded overload below
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            if (args != null && args.length > 0 && args[0] instanceof SdkRequest request) {
                log.add(request);
                if (request instanceof GetObjectRequest && getDelayMillis > 0) {
                    Thread.sleep(getDelayMillis);
                }
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (S3Client) Proxy.newProxyInstance(S3Client.class.getClassLoader(), new Class<?>[] {S3Client.class},
                handler);
    }

    static List<SdkRequest> newLog() {
        return new CopyOnWriteArrayList<>();
    }
}
