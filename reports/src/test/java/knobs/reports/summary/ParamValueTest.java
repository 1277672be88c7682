package knobs.reports.summary;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParamValueTest {

    @Test
    void integersDecimalsAndText() {
        assertEquals(ParamValue.Kind.INTEGER, ParamValue.of("8").kind());
        assertEquals(-3, ParamValue.of("-3").asLong());
        assertEquals(ParamValue.Kind.DECIMAL, ParamValue.of("0.5").kind());
        assertEquals("1000.0", ParamValue.of("1e3").render());
        // Beyond long: still a number, as a double.
        assertEquals(ParamValue.Kind.DECIMAL, ParamValue.of("9223372036854775808").kind());
        for (String text : List.of("prefill", "007", "2f", "0x10", "NaN", "Infinity", "1e999", " 1", "", "1.")) {
            assertEquals(ParamValue.Kind.TEXT, ParamValue.of(text).kind(), text);
            assertEquals(text, ParamValue.of(text).render());
        }
    }

    @Test
    void paramsSortByNameThenNumericValueThenText() {
        List<Params> params = new ArrayList<>(List.of(
                Params.of(Map.of("topK", "16")),
                Params.of(Map.of("topK", "2")),
                Params.of(Map.of("topK", "auto")),
                Params.of(Map.of("topK", "0.5")),
                Params.of(Map.of("phase", "prefill", "topK", "1")),
                Params.of(Map.of("phase", "decode", "topK", "8")),
                Params.NONE));
        params.sort(null);
        assertEquals(List.of("{}", "{phase=decode, topK=8}", "{phase=prefill, topK=1}",
                "{topK=0.5}", "{topK=2}", "{topK=16}", "{topK=auto}"), params.stream().map(Params::toString).toList());
    }
}
