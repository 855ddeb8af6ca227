package io.kubelora.trainer.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kubelora.api.ResumePolicy;
import io.kubelora.trainer.storage.CompletionManifest;
import io.kubelora.trainer.storage.LocalFiles;
import io.kubelora.trainer.storage.Storage;
import io.kubelora.trainer.storage.StorageException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A run's output folder (spec.output.uri) and what the run may do there. KubeLoRA writes {@code adapter/},
 * {@code checkpoints/step-N/}, the reports (metrics.jsonl, summary.json, loss.png) and {@code _KUBELORA_RUN.json},
 * and replaces or deletes only what it wrote itself: before anything is fetched, {@link #inspect} refuses a folder
 * where one of those names holds something else, naming the file. The run record claims the folder before the
 * first write (state running) and marks it finished as the last step; a finished run is recognised by it.
 */
final class RunOutput {

    static final String RECORD = "_KUBELORA_RUN.json";
    private static final String FORMAT = "kubelora.io/run/v1";
    private static final Pattern STEP_FOLDER = Pattern.compile("step-\\d+");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** What _KUBELORA_RUN.json holds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Record(@JsonProperty("format") String format, @JsonProperty("name") String name,
                  @JsonProperty("fingerprint") String fingerprint, @JsonProperty("state") String state,
                  @JsonProperty("startedAt") String startedAt, @JsonProperty("finishedAt") String finishedAt,
                  @JsonProperty("adapterUri") String adapterUri,
                  @JsonProperty("mergedModelUri") String mergedModelUri) {

        static final String RUNNING = "running";
        static final String FINISHED = "finished";

        boolean finished() {
            return FINISHED.equals(state);
        }
    }

    private final Storage storage;
    private final String uri;
    private final String name;
    private final String fingerprint;
    private Record earlier;
    private String startedAt;
    /** The outermost folder of a local output's path that the claim created, or null. */
    private Path createdFrom;

    RunOutput(Storage storage, String uri, String name, String fingerprint) {
        this.storage = storage;
        this.uri = uri;
        this.name = name;
        this.fingerprint = fingerprint;
    }

    String uri() {
        return uri;
    }

    /**
     * Checks that this run may write here and returns the record of the run found here, if any.
     *
     * @throws IllegalArgumentException naming spec.output.uri: the folder cannot be created, a name KubeLoRA writes
     *                                  holds something it did not write, or (with resume auto) another
     *                                  configuration's run is here
     */
    Optional<Record> inspect(ResumePolicy resume) {
        storage.folderProblem(uri).ifPresent(problem -> {
            throw refused(problem + "; name a folder the trainer can create");
        });
        List<String> children;
        try {
            children = storage.list(uri);
        } catch (StorageException e) {
            throw refused(e.getMessage());
        }
        earlier = children.contains(RECORD) ? readRecord() : null;
        boolean marked = earlier != null;
        if (children.contains("adapter")) {
            requireOwn("adapter", "a finished run replaces adapter/ as a whole");
            marked |= storage.list(storage.resolve(uri, "adapter")).contains(CompletionManifest.COMPLETE);
        }
        if (children.contains("checkpoints")) {
            for (String child : storage.list(checkpointsUri())) {
                if (!STEP_FOLDER.matcher(child).matches()) {
                    throw refused("checkpoints/" + child + " is not a KubeLoRA checkpoint, and a run deletes what is in"
                            + " checkpoints/ when it rotates or clears them; move it away or choose another"
                            + " output.uri");
                }
                requireOwn("checkpoints/" + child, "a run deletes old checkpoints");
                marked = true;
            }
        }
        for (String report : RunReports.FILES) {
            if (children.contains(report) && !marked) {
                throw refused(report + " was not written by KubeLoRA (the folder has no " + RECORD + "), and a run"
                        + " writes its " + report + " here; move it away or choose another output.uri");
            }
        }
        if (earlier != null && !fingerprint.equals(earlier.fingerprint()) && resume == ResumePolicy.AUTO) {
            throw refused("it holds the " + (earlier.finished() ? "finished" : "unfinished") + " run '"
                    + earlier.name() + "' of another configuration (" + earlier.fingerprint() + "; this run is "
                    + fingerprint + "): choose another output.uri, or set training.resume: never to replace its"
                    + " results");
        }
        boolean continuing = earlier != null && fingerprint.equals(earlier.fingerprint()) && !earlier.finished()
                && resume == ResumePolicy.AUTO;
        startedAt = continuing && earlier.startedAt() != null ? earlier.startedAt() : Instant.now().toString();
        return Optional.ofNullable(earlier);
    }

    /** Writes the run record (state running), creating the folder: called before the run's first write here. */
    void claim() {
        createdFrom = storage.isLocal(uri) ? LocalFiles.outermostMissing(storage.localPath(uri)) : null;
        write(new Record(FORMAT, name, fingerprint, Record.RUNNING, startedAt, null, null, null));
    }

    /** Marks the run finished: the last write of a successful run. */
    void finish(String adapterUri, String mergedModelUri) {
        write(new Record(FORMAT, name, fingerprint, Record.FINISHED, startedAt, Instant.now().toString(), adapterUri,
                mergedModelUri));
    }

    /**
     * After a failure: a run that found nothing of KubeLoRA's here and left no checkpoint removes what it wrote
     * (its reports and record) and the folder with the parents it created for it. Anything a restart can resume from
     * stays.
     */
    void abandon() {
        if (earlier != null || !storage.list(checkpointsUri()).isEmpty()) {
            return;
        }
        List<String> written = new ArrayList<>(RunReports.FILES);
        written.add(RECORD);
        storage.deleteFiles(uri, written);
        if (createdFrom != null) {
            LocalFiles.deleteEmptyFolders(storage.localPath(uri), createdFrom);
        }
    }

    /** The summary a finished run wrote. */
    RunSummary finishedSummary() {
        String summaryUri = storage.resolve(uri, RunReports.SUMMARY_FILE);
        try {
            return JSON.readValue(storage.readString(summaryUri), RunSummary.class);
        } catch (JsonProcessingException | StorageException e) {
            throw refused("it holds a finished run whose " + RunReports.SUMMARY_FILE + " cannot be read ("
                    + e.getMessage() + "); set training.resume: never to train again");
        }
    }

    private String checkpointsUri() {
        return storage.resolve(uri, "checkpoints");
    }

    private void requireOwn(String child, String why) {
        List<String> foreign = storage.foreignFiles(storage.resolve(uri, child));
        if (!foreign.isEmpty()) {
            throw refused(child + "/" + foreign.get(0) + (foreign.size() > 1 ? " (and " + (foreign.size() - 1)
                    + " more)" : "") + " was not written by KubeLoRA, and " + why + "; move it away or choose"
                    + " another output.uri");
        }
    }

    private Record readRecord() {
        String recordUri = storage.resolve(uri, RECORD);
        try {
            Record record = JSON.readValue(storage.readString(recordUri), Record.class);
            if (record == null || !FORMAT.equals(record.format()) || record.fingerprint() == null) {
                throw refused(RECORD + " is not a KubeLoRA run record (format " + FORMAT + ")");
            }
            return record;
        } catch (JsonProcessingException e) {
            throw refused(RECORD + " is not a KubeLoRA run record: " + e.getOriginalMessage());
        }
    }

    private void write(Record record) {
        try {
            storage.writeString(storage.resolve(uri, RECORD), JSON.writeValueAsString(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + RECORD, e);
        }
    }

    private IllegalArgumentException refused(String problem) {
        return new IllegalArgumentException("spec.output.uri (" + uri + "): " + problem);
    }
}
