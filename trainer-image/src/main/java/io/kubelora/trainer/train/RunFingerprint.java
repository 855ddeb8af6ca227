package io.kubelora.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.api.LoraFineTuneSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A hash of everything that shapes the trained weights (model, data, LoRA, quantization, optimizer and
 * schedule), so a checkpoint is only resumed by the run it belongs to. Settings that don't change the result
 * (cluster resources, logging, checkpoint cadence, merge, the memory check and where activations and optimizer
 * state are kept) are left out: changing them keeps checkpoints usable.
 */
public final class RunFingerprint {

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private RunFingerprint() {
    }

    public static String of(LoraFineTuneSpec spec) {
        ObjectNode node = CANONICAL.valueToTree(spec);
        for (String field : new String[] {"output", "merge", "resources", "image", "serviceAccountName", "suspend",
                "credentials", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"}) {
            node.remove(field);
        }
        ObjectNode training = (ObjectNode) node.get("training");
        for (String field : new String[] {"logEverySteps", "evalEverySteps", "checkpointEverySteps",
                "checkpointsToKeep", "resume", "memoryCheck", "offloadActivations", "optimizerOffload"}) {
            training.remove(field);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(CANONICAL.writeValueAsString(node).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot fingerprint the run configuration", e);
        }
    }
}
