package knobs.reports.summary;

import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code @Param} values of one JMH run, sorted by name. Ordered by names, then values, so
 * that rows of the same benchmark come out in a stable, readable order (topK 1, 2, 4, 8, ...).
 */
public record Params(SortedMap<String, ParamValue> values) implements Comparable<Params> {

    /** No params. */
    public static final Params NONE = new Params(new TreeMap<>());

    public Params {
        values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

    /** Types each raw JMH param string with {@link ParamValue#of(String)}. */
    public static Params of(Map<String, String> raw) {
        SortedMap<String, ParamValue> typed = new TreeMap<>();
        raw.forEach((name, text) -> typed.put(name, ParamValue.of(text)));
        return new Params(typed);
    }

    @Override
    public int compareTo(Params other) {
        Iterator<Map.Entry<String, ParamValue>> a = values.entrySet().iterator();
        Iterator<Map.Entry<String, ParamValue>> b = other.values.entrySet().iterator();
        while (a.hasNext() && b.hasNext()) {
            Map.Entry<String, ParamValue> x = a.next();
            Map.Entry<String, ParamValue> y = b.next();
            int byName = x.getKey().compareTo(y.getKey());
            if (byName != 0) {
                return byName;
            }
            int byValue = x.getValue().compareTo(y.getValue());
            if (byValue != 0) {
                return byValue;
            }
        }
        return Boolean.compare(a.hasNext(), b.hasNext());
    }

    /** For messages: {@code {phase=prefill, topK=1}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((name, value) -> sb.append(sb.length() > 1 ? ", " : "").append(name).append('=').append(value.text()));
        return sb.append('}').toString();
    }
}
