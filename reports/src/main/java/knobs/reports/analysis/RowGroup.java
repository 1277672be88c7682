package knobs.reports.analysis;

import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Params;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Configurations of one benchmark and mode that differ only in one param (the knob): the unit
 * that scaling fits, FLOPs ratios and the performance model's overhead are computed over.
 *
 * @param benchmark {@code ClassName.method}
 * @param mode      JMH mode
 * @param varied    the param left out of {@code fixed}, or null when none is (one group per benchmark and mode)
 * @param fixed     the params every row of the group shares
 * @param rows      the group's rows, in summary order
 */
public record RowGroup(String benchmark, String mode, String varied, Params fixed, List<SummaryRow> rows) {

    /** Groups by benchmark, mode and every param except {@code varied}; sorted like the summary. */
    static final Comparator<RowGroup> ORDER = Comparator.comparing(RowGroup::benchmark)
            .thenComparing(RowGroup::mode)
            .thenComparing(RowGroup::fixed);

    public RowGroup {
        rows = List.copyOf(rows);
    }

    /**
     * Splits rows into groups that agree on everything except the param {@code variedOf} names for
     * each row (null: nothing is left out).
     */
    public static List<RowGroup> of(List<SummaryRow> rows, Function<SummaryRow, String> variedOf) {
        Map<List<Object>, List<SummaryRow>> byKey = new LinkedHashMap<>();
        Map<List<Object>, RowGroup> heads = new LinkedHashMap<>();
        for (SummaryRow row : rows) {
            String varied = variedOf.apply(row);
            Params fixed = without(row.params(), varied);
            List<Object> key = List.of(row.benchmark(), row.mode(), fixed);
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
            heads.putIfAbsent(key, new RowGroup(row.benchmark(), row.mode(), varied, fixed, List.of()));
        }
        List<RowGroup> groups = new ArrayList<>();
        byKey.forEach((key, members) -> {
            RowGroup head = heads.get(key);
            groups.add(new RowGroup(head.benchmark(), head.mode(), head.varied(), head.fixed(), members));
        });
        groups.sort(ORDER);
        return groups;
    }

    /** {@code params} without the named one (unchanged when {@code name} is null or absent). */
    public static Params without(Params params, String name) {
        if (name == null || !params.values().containsKey(name)) {
            return params;
        }
        SortedMap<String, ParamValue> rest = new TreeMap<>(params.values());
        rest.remove(name);
        return new Params(rest);
    }

    /**
     * A short name for this group among {@code siblings} (groups of the same benchmark and mode):
     * the fixed params whose value differs between them, e.g. {@code phase=decode}; the benchmark
     * name when there is only one group.
     */
    public String label(List<RowGroup> siblings) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ParamValue> e : fixed.values().entrySet()) {
            boolean differs = siblings.stream()
                    .filter(g -> g.benchmark.equals(benchmark) && g.mode.equals(mode))
                    .anyMatch(g -> !e.getValue().equals(g.fixed.values().get(e.getKey())));
            if (differs) {
                sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue().text());
            }
        }
        return sb.length() == 0 ? benchmark : sb.toString();
    }
}
