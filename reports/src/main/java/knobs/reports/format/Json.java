package knobs.reports.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.nio.charset.StandardCharsets;

/**
 * How every JSON output is written: deterministic pretty printing (two-space indent, {@code \n}
 * line ends on every OS, trees built in a fixed field order by the writers) and numbers that are
 * never NaN or infinite. Reading is {@link knobs.reports.input.JsonFields}.
 */
public final class Json {

    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final ObjectWriter WRITER;

    static {
        DefaultIndenter lf = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        printer.indentObjectsWith(lf);
        printer.indentArraysWith(lf);
        WRITER = MAPPER.writer(printer);
    }

    private Json() {
    }

    /** Pretty-prints a tree, with a final newline, as UTF-8. */
    public static byte[] write(JsonNode tree) {
        try {
            return (WRITER.writeValueAsString(tree) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            // Trees are built in memory from plain values; failing to print one is a bug.
            throw new IllegalStateException("cannot serialize JSON", e);
        }
    }

    /** A JSON number for a computed value; non-finite values never reach the outputs. */
    public static JsonNode number(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalStateException("non-finite value " + value + " reached the output");
        }
        return NODES.numberNode(value);
    }

    /** {@link #number(double)}, or JSON null for an absent value. */
    static JsonNode numberOrNull(Double value) {
        return value == null ? NODES.nullNode() : number(value);
    }
}
