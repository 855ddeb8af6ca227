package io.kubelora.trainer.data;

import java.util.List;
import java.util.Map;

/**
 * What a model is asked, before any template: an instruction with its input (alpaca and dolly data), a
 * conversation to answer (chat and ShareGPT data), or plain text to continue. {@link PromptTemplate} turns it into
 * the exact text and tokens the model saw in training, through the view of the prompt that template needs.
 */
public sealed interface Prompt {

    /** The prompt as an alpaca instruction and input. */
    Instruction asInstruction();

    /** The prompt as chat messages, the last one to be answered. */
    List<Map<String, Object>> asMessages();

    /** The prompt as plain text. */
    String asText();

    /** What is asked, in short, for logs: the instruction and input, the last message, or the text. */
    String question();

    /** An alpaca instruction and its optional input ("" for none). */
    record Instruction(String instruction, String input) implements Prompt {
        @Override
        public Instruction asInstruction() {
            return this;
        }

        @Override
        public List<Map<String, Object>> asMessages() {
            return List.of(Map.of("role", "user", "content", asText()));
        }

        @Override
        public String asText() {
            return input.isEmpty() ? instruction : instruction + "\n\n" + input;
        }

        @Override
        public String question() {
            return asText();
        }
    }

    /** Messages of {@code role} and {@code content}, the last one to be answered by the assistant. */
    record Conversation(List<Map<String, Object>> messages) implements Prompt {
        public Conversation {
            messages = List.copyOf(messages);
        }

        @Override
        public Instruction asInstruction() {
            throw new IllegalArgumentException("a list of messages cannot be written as an alpaca prompt: "
                    + "give a plain string");
        }

        @Override
        public List<Map<String, Object>> asMessages() {
            return messages;
        }

        @Override
        public String asText() {
            throw new IllegalArgumentException("a list of messages needs the chat template: give a plain string");
        }

        @Override
        public String question() {
            return String.valueOf(messages.get(messages.size() - 1).get("content"));
        }
    }

    /** Text to continue as it is. */
    record Text(String text) implements Prompt {
        @Override
        public Instruction asInstruction() {
            return new Instruction(text, "");
        }

        @Override
        public List<Map<String, Object>> asMessages() {
            return List.of(Map.of("role", "user", "content", text));
        }

        @Override
        public String asText() {
            return text;
        }

        @Override
        public String question() {
            return text;
        }
    }
}
