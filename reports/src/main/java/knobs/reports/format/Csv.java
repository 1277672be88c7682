package knobs.reports.format;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A minimal RFC 4180 table writer: a field is quoted when it holds a comma, a double quote, CR
 * or LF, and quotes inside are doubled. Lines end in {@code \n} on every OS so the files are
 * byte-identical everywhere (RFC 4180 readers such as Python's csv and pandas accept it).
 */
final class Csv {

    private Csv() {
    }

    /** The table as UTF-8: the header line, then one line per row; null fields are empty. */
    static byte[] table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        line(sb, header);
        rows.forEach(row -> line(sb, row));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(quote(fields.get(i)));
        }
        sb.append('\n');
    }

    /** One field, quoted only when RFC 4180 requires it. */
    static String quote(String field) {
        if (field == null) {
            return "";
        }
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\r') < 0 && field.indexOf('\n') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    /** A number as JSON writes it, or null (an empty field) when absent. */
    static String number(Double value) {
        return value == null ? null : Double.toString(value);
    }
}
