package io.kubelora.trainer.lora;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kubelora.trainer.data.PromptTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What KubeLoRA records about how an adapter was trained, in {@value #FILE_NAME} beside the PEFT files (which peft,
 * vLLM and TGI ignore; adapter_config.json stays exactly as peft writes it): how its prompts were written, so that
 * {@code kubelora generate} asks the adapter the way it learnt, and which step and evaluation loss it is.
 *
 * @param promptTemplate alpaca, chat or none
 * @param step           the optimizer step of these weights
 * @param evalLoss       the evaluation loss measured at that step, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterNotes(@JsonProperty("prompt_template") String promptTemplate, @JsonProperty("step") int step,
                           @JsonProperty("eval_loss") Double evalLoss) {

    public static final String FILE_NAME = "kubelora_adapter.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static AdapterNotes of(PromptTemplate template, int step, Double evalLoss) {
        return new AdapterNotes(template.label(), step, evalLoss);
    }

    /** The prompt template these weights were trained with. */
    public PromptTemplate template() {
        return PromptTemplate.ofLabel(promptTemplate);
    }

    /** Writes {@code adapterDir/}{@value #FILE_NAME}. */
    public void write(Path adapterDir) {
        try {
            Files.createDirectories(adapterDir);
            JSON.writeValue(adapterDir.resolve(FILE_NAME).toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException(adapterDir + ": cannot write " + FILE_NAME + ": " + e.getMessage(), e);
        }
    }

    /** The notes of an adapter folder; empty for an adapter trained elsewhere. */
    public static Optional<AdapterNotes> read(Path adapterDir) {
        Path file = adapterDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            AdapterNotes notes = JSON.readValue(file.toFile(), AdapterNotes.class);
            notes.template();
            return Optional.of(notes);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": not valid KubeLoRA adapter notes: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
