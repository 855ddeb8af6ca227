package io.kubelora.trainer.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JinjaSyntaxTest {

    @Test
    void reverseSliceBecomesReverseFilter() {
        assertEquals("{%- for message in (messages|reverse|list) %}",
                JinjaSyntax.adapt("{%- for message in messages[::-1] %}"));
        assertEquals("{{ (a.b[0]|reverse|list) }}", JinjaSyntax.adapt("{{ a.b[0][::-1] }}"));
    }

    @Test
    void keywordArgumentValuesAreParenthesised() {
        assertEquals("{%- set ns = namespace(multi=(true), last=(messages|length - 1)) %}",
                JinjaSyntax.adapt("{%- set ns = namespace(multi=true, last=messages|length - 1) %}"));
        assertEquals("{{ x|tojson(indent=(2)) }}", JinjaSyntax.adapt("{{ x|tojson(indent=2) }}"));
    }

    @Test
    void leavesComparisonsStringsTextAndMacrosAlone() {
        String template = "text [::-1] f(a=b) {{ f(a == b, 'k=v[::-1]') }}{# c(x=1) #}{% macro m(x=1) %}{% endmacro %}";
        assertEquals(template, JinjaSyntax.adapt(template));
    }
}
