package io.kubelora.trainer.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    private static final List<Map<String, Object>> CHAT = List.of(
            Map.of("role", "user", "content", "  hi  "),
            Map.of("role", "assistant", "content", "<think>\nplan\n</think>\n\nanswer"));

    private static String render(String template) {
        return ChatTemplate.compile(template, Map.of("bos_token", "<s>")).render(CHAT, false);
    }

    @Test
    void blockWhitespaceIsTrimmedAsHuggingFaceConfiguresJinja() {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before it.
        assertEquals("<s>[user][assistant]", render("{{ bos_token }}{% for m in messages %}\n"
                + "    {% if true %}\n[{{ m.role }}]{% endif %}\n{% endfor %}\n"));
        assertEquals("ab", render("a   {{- '' -}}   \n b"));
    }

    @Test
    void messageContentIsNeitherEscapedNorInterpreted() {
        String content = "{{ 7 * 7 }} {% if true %}x{% endif %} <b>&amp; \"quoted\" 'single'";
        String out = ChatTemplate.compile("{{ messages[0].content }}|{{ messages[0]['content'] | trim }}", Map.of())
                .render(List.of(Map.of("role", "user", "content", content)), false);
        assertEquals(content + "|" + content, out);
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() {
        assertEquals("hi|hi  |  hi", render("{{ messages[0].content.strip() }}|{{ messages[0].content.lstrip() }}"
                + "|{{ messages[0].content.rstrip() }}"));
        assertEquals("answer|plan", render("{% set c = messages[1].content %}"
                + "{{ c.split('</think>')[-1].lstrip('\\n') }}|"
                + "{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}"));
        assertEquals("nbsp|x", ChatTemplate.compile("{{ messages[0].content | trim }}|{{ '--x--' | trim('-') }}", Map.of())
                .render(List.of(Map.of("role", "user", "content", "\u00a0\u2003nbsp\u00a0\n")), false));
        assertEquals("True|False|3|a, b", render("{{ 'True' if messages[1].content.startswith('<think>') else 'False' }}|"
                + "{{ 'True' if messages[1].content.endswith('x') else 'False' }}|{{ 'a,,b'.split(',')|length }}|"
                + "{{ ', '.join(['a', 'b']) }}"));
    }

    @Test
    void namespaceLoopControlsAndReverseSliceWork() {
        assertEquals("1|assistant,user", render("{% set ns = namespace(found=false, last=messages|length - 1) %}"
                + "{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% continue %}"
                + "{% endif %}{% endfor %}{{ ns.last }}|{% for m in messages[::-1] %}{{ m.role }}"
                + "{% if not loop.last %},{% endif %}{% endfor %}"));
    }

    @Test
    void mappingsIterateAndPrintAsInPython() {
        List<Map<String, Object>> call = List.of(Map.of("role", "assistant", "content", "",
                "arguments", new java.util.LinkedHashMap<>(Map.of("city", "Paris"))));
        ChatTemplate template = ChatTemplate.compile("{% for k, v in messages[0].arguments | items %}{{ k }}={{ v }};"
                + "{% endfor %}{% for k, v in messages[0].arguments.items() %}{{ k }}:{{ v }}{% endfor %}"
                + "|{{ messages[0].get('missing', 'default') }}|{{ ['a', 1] }}|{{ messages[0].arguments }}", Map.of());
        assertEquals("city=Paris;city:Paris|default|['a', 1]|{'city': 'Paris'}", template.render(call, false));
    }

    @Test
    void generationBlocksAreTransparent() {
        assertEquals("[user][assistant:answer]", render("{% for m in messages %}{% if m.role == 'assistant' %}"
                + "[assistant:{% generation %}{{ m.content.split('</think>')[-1].strip() }}{% endgeneration %}]"
                + "{% else %}[{{ m.role }}]{% endif %}{% endfor %}"));
    }

    @Test
    void tojsonMatchesPythonJsonDumps() {
        assertEquals("{\"name\": \"f\", \"args\": [1, 2.5, true, null], \"u\": \"é\\\"\"}",
                render("{{ {'name': 'f', 'args': [1, 2.5, true, none], 'u': 'é\"'}|tojson }}"));
        assertEquals("{\n  \"a\": [\n    1\n  ]\n}", render("{{ {'a': [1]}|tojson(indent=2) }}"));
    }

    @Test
    void raiseExceptionStopsRenderingWithTheTemplatesMessage() {
        ChatTemplate template = ChatTemplate.compile(
                "{% if messages[0].role != 'system' %}{{ raise_exception('System message required') }}{% endif %}",
                Map.of());
        ChatTemplate.ChatTemplateException e = assertThrows(ChatTemplate.ChatTemplateException.class,
                () -> template.render(CHAT, false));
        assertTrue(e.getMessage().contains("System message required"), e.getMessage());
    }

    @Test
    void strftimeFollowsPythonDirectives() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 5, 14, 3, 9, 0, ZoneOffset.UTC);
        assertEquals("05 Jul 2024 14:03:09 PM Friday 187 %",
                TemplateFunctions.strftime(t, "%d %b %Y %H:%M:%S %p %A %j %%"));
        String today = ChatTemplate.compile("{{ strftime_now('%Y') }}", Map.of()).render(CHAT, false);
        assertEquals(4, today.length());
    }
}
