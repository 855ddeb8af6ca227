package io.kubelora.trainer.data.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template ({@code chat_template} of tokenizer_config.json), rendered the way
 * Hugging Face's {@code apply_chat_template} renders it: Jinja2 with {@code trim_blocks} and
 * {@code lstrip_blocks}, the loop-controls extension, the {@code generation} block,
 * {@code raise_exception}, {@code strftime_now}, Python string methods and Python's {@code tojson},
 * {@code trim} and {@code items}. The context holds {@code messages}, {@code add_generation_prompt} and
 * the tokenizer's special tokens ({@code bos_token}, ...), as in HF.
 *
 * <p>Known difference: a bare boolean or none printed by {@code {{ }}} comes out as {@code true} /
 * empty rather than Python's {@code True} / {@code None}; chat templates test these values, they do
 * not print them.
 */
public final class ChatTemplate {

    private final Jinjava jinjava;
    private final JinjavaConfig config;
    private final Node parsed;
    private final Map<String, Object> specialTokens;

    private ChatTemplate(String source, Map<String, Object> specialTokens) {
        this.specialTokens = Map.copyOf(specialTokens);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                // Jinjava re-renders output that looks like a template unless told not to; message text
                // such as "{{ x }}" must come out verbatim, as in Jinja2.
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        // lists and dicts print as Python prints them: ['a', 'b'], {'k': 'v'}
                        .withUsePyishObjectMapper(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.registerFilter(new PythonJson());
        jinjava.registerFilter(new ItemsFilter());
        jinjava.registerFilter(new TrimFilter());
        jinjava.registerTag(new GenerationTag());
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        // Parsed once and reused: a dataset renders the template several times per record.
        JinjavaInterpreter parser = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(parser);
        try {
            this.parsed = parser.parse(JinjaSyntax.adapt(source));
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        throwOnFatal(parser.getErrors());
    }

    /**
     * @param source        the Jinja2 source
     * @param specialTokens names such as {@code bos_token}, {@code eos_token} to their text (absent
     *                      tokens are left out, so {@code bos_token is defined} behaves as in HF)
     */
    public static ChatTemplate compile(String source, Map<String, Object> specialTokens) {
        return new ChatTemplate(source, specialTokens);
    }

    /**
     * Renders a conversation.
     *
     * @param messages            each a map with at least {@code role} and {@code content}
     * @param addGenerationPrompt whether to end with the header that opens an assistant turn
     * @throws ChatTemplateException when the template raises or cannot be evaluated
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        JinjavaInterpreter interpreter = new JinjavaInterpreter(jinjava, new Context(jinjava.getGlobalContext(),
                context), config);
        JinjavaInterpreter.pushCurrent(interpreter);
        String output;
        try {
            output = interpreter.render(parsed, true);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        throwOnFatal(interpreter.getErrors());
        return output;
    }

    private static void throwOnFatal(List<TemplateError> errors) {
        for (TemplateError error : errors) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(describe(error));
            }
        }
    }

    private static String describe(TemplateError error) {
        Throwable cause = error.getException();
        while (cause != null) {
            if (cause instanceof TemplateFunctions.TemplateRaisedException raised) {
                return "chat template raised an exception: " + raised.getMessage();
            }
            cause = cause.getCause();
        }
        String message = error.getMessage();
        if (message != null && message.contains("TemplateRaisedException")) {
            return "chat template raised an exception: "
                    + message.substring(message.indexOf("TemplateRaisedException") + "TemplateRaisedException".length())
                    .replaceFirst("^[:\\s]+", "");
        }
        return "chat template failed at line " + error.getLineno() + ": " + message;
    }

    /** Rendering failed: the template raised, or used something this engine cannot evaluate. */
    public static final class ChatTemplateException extends IllegalArgumentException {
        ChatTemplateException(String message) {
            super(message);
        }
    }
}
