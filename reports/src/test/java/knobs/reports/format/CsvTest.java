package knobs.reports.format;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CsvTest {

    @Test
    void quotesOnlyWhatRfc4180Requires() {
        assertEquals("plain", Csv.quote("plain"));
        assertEquals("", Csv.quote(null));
        assertEquals("\"a,b\"", Csv.quote("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", Csv.quote("say \"hi\""));
        assertEquals("\"two\nlines\"", Csv.quote("two\nlines"));
        assertEquals("\"cr\r\"", Csv.quote("cr\r"));
    }

    @Test
    void tableHasHeaderThenRowsWithBlankNulls() {
        byte[] table = Csv.table(List.of("a", "b"), List.of(Arrays.asList("1", null), List.of("x,y", "2")));
        assertEquals("a,b\n1,\n\"x,y\",2\n", new String(table, StandardCharsets.UTF_8));
    }
}
