package knobs.benchmarks.sweep;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.openjdk.jmh.runner.BenchmarkListEntry;

/**
 * Expands a {@link SweepDefinition} into configurations, one per combination of param values,
 * using the benchmarks' own {@code @Param} defaults (read from JMH's generated benchmark list)
 * for every param a line does not name. With a knob check, every configuration's values are
 * checked as benchmarks.jar's launcher checks them, so a bad value is reported with its line
 * before anything runs.
 */
public final class Expander {
    private final List<BenchmarkListEntry> benchmarks;

    private final Function<List<String>, List<String>> knobCheck;

    /** An expander that checks names only (benchmarks, params), not the values of the knobs. */
    public Expander(Collection<BenchmarkListEntry> benchmarks) {
        this(benchmarks, args -> List.of());
    }

    /**
     * @param knobCheck the problems of one configuration's JMH arguments, as benchmarks.jar's
     *                  launcher would refuse them before any fork ({@code knobs.benchmarks.Main#problems})
     */
    public Expander(Collection<BenchmarkListEntry> benchmarks, Function<List<String>, List<String>> knobCheck) {
        this.benchmarks = new ArrayList<>(benchmarks);
        this.benchmarks.sort(Comparator.comparing(BenchmarkListEntry::getUsername));
        this.knobCheck = knobCheck;
    }

    /**
     * Every configuration of the definition, in definition order then param order. Lines that
     * overlap with the same options name the same configuration once; the same benchmark and params
     * with other JMH options, an unknown benchmark or an unknown param, a knob value the knob check
     * refuses are errors. Every line is
     * checked and all problems reported together, each naming the file and line.
     */
    public List<Configuration> expand(SweepDefinition def) {
        Map<String, Configuration> out = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        List<String> errors = new ArrayList<>();
        Map<String, Integer> duplicates = new LinkedHashMap<>(); // "line/earlier line" -> configurations
        Map<String, Integer> duplicateAt = new HashMap<>();
        for (SweepDefinition.Entry e : def.entries()) {
            String where = def.name() + " line " + e.line() + ": ";
            List<BenchmarkListEntry> matched = benchmarks.stream().filter(b -> matches(b, e.benchmark())).toList();
            if (matched.isEmpty()) {
                errors.add(where + "unknown benchmark '" + e.benchmark()
                        + "'; known: " + benchmarks.stream().map(Expander::simpleName).collect(Collectors.joining(", ")));
                continue;
            }
            for (BenchmarkListEntry b : matched) {
                Map<String, String[]> defaults = b.getParams().hasValue() ? b.getParams().get() : Map.of();
                List<String> unknown = e.params().keySet().stream().filter(p -> !defaults.containsKey(p)).toList();
                if (!unknown.isEmpty()) {
                    errors.add(where + simpleName(b) + " has no param '" + String.join("', '", unknown)
                            + "'; its params: " + new TreeSet<>(defaults.keySet()));
                    continue;
                }
                Map<String, List<String>> axes = new TreeMap<>();
                defaults.forEach((k, v) -> axes.put(k, List.of(v)));
                axes.putAll(e.params());
                for (Map<String, String> point : product(axes)) {
                    Configuration c = new Configuration(b.getUsername(), new TreeMap<>(point), e.options());
                    String key = c.benchmark() + "|" + c.params();
                    Configuration seen = out.get(key);
                    if (seen == null) {
                        out.put(key, c);
                        lineOf.put(key, e.line());
                        for (String problem : knobCheck.apply(c.jmhArgs())) {
                            String message = where + problem;
                            if (!errors.contains(message)) { // one bad value shared by many configurations: once per line
                                errors.add(message);
                            }
                        }
                    } else if (!seen.options().equals(c.options())) {
                        String pair = e.line() + "/" + lineOf.get(key);
                        if (duplicates.merge(pair, 1, Integer::sum) == 1) {
                            duplicateAt.put(pair, errors.size());
                            errors.add(where + c.label() + " is also on line " + lineOf.get(key) + " with other JMH options ("
                                    + String.join(" ", c.options()) + " here, " + String.join(" ", seen.options())
                                    + " there); a benchmark and params may be measured once per sweep");
                        }
                    }
                }
            }
        }
        duplicates.forEach((pair, n) -> {
            if (n > 1) {
                int at = duplicateAt.get(pair);
                errors.set(at, errors.get(at) + " (and " + (n - 1) + " more configurations of these lines)");
            }
        });
        if (!errors.isEmpty()) {
            throw new SweepException(SweepException.USAGE, String.join("\n", errors));
        }
        return new ArrayList<>(out.values());
    }

    /** This shard's share: configurations whose position (in expansion order) is i-1 modulo n. */
    public static List<Configuration> shard(List<Configuration> all, int i, int n) {
        if (n < 1 || i < 1 || i > n) {
            throw new SweepException(SweepException.USAGE, "--shard " + i + "/" + n + " is not allowed: need 1 <= I <= N");
        }
        List<Configuration> out = new ArrayList<>();
        for (int k = 0; k < all.size(); k++) {
            if (k % n == i - 1) {
                out.add(all.get(k));
            }
        }
        return out;
    }

    private static boolean matches(BenchmarkListEntry b, String name) {
        String simple = simpleName(b);
        return simple.equals(name) || simple.startsWith(name + ".");
    }

    /** "MoeTopK.forward". */
    static String simpleName(BenchmarkListEntry b) {
        String cls = b.getUserClassQName();
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + b.getUsername().substring(cls.length() + 1);
    }

    private static List<Map<String, String>> product(Map<String, List<String>> axes) {
        List<Map<String, String>> points = new ArrayList<>();
        points.add(new TreeMap<>());
        for (Map.Entry<String, List<String>> axis : axes.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> p : points) {
                for (String v : axis.getValue()) {
                    Map<String, String> q = new TreeMap<>(p);
                    q.put(axis.getKey(), v);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }
}
