package io.kubelora.trainer.train;

import java.util.List;

/** Several observers as one: every hook is passed to each of them, in order. */
final class Observers implements TrainingObserver {

    private final List<TrainingObserver> observers;

    Observers(List<TrainingObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    @Override
    public void onStart(RunStart start) {
        observers.forEach(o -> o.onStart(start));
    }

    @Override
    public void onReport(StepReport report) {
        observers.forEach(o -> o.onReport(report));
    }

    @Override
    public void onSamples(List<Sample> samples) {
        observers.forEach(o -> o.onSamples(samples));
    }

    @Override
    public void onPhase(RunPhase phase) {
        observers.forEach(o -> o.onPhase(phase));
    }

    @Override
    public void onFinished(RunSummary summary) {
        observers.forEach(o -> o.onFinished(summary));
    }
}
