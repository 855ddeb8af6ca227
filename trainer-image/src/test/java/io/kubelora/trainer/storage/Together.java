package io.kubelora.trainer.storage;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The same work run twice at the same moment, as two training pods sharing one cache would run it. */
final class Together {

    private Together() {
    }

    /** Both results, in the order the runs were started; waits at most {@code seconds} for each. */
    static <T> List<T> twice(Callable<T> work, long seconds) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        Callable<T> run = () -> {
            start.await();
            return work.call();
        };
        ExecutorService runs = Executors.newFixedThreadPool(2);
        try {
            Future<T> first = runs.submit(run);
            Future<T> second = runs.submit(run);
            return List.of(first.get(seconds, TimeUnit.SECONDS), second.get(seconds, TimeUnit.SECONDS));
        } finally {
            runs.shutdownNow();
        }
    }
}
