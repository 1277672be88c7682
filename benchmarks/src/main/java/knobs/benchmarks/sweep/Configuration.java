package knobs.benchmarks.sweep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One point of a sweep: a benchmark method with one value per param and its JMH options. Its
 * {@link #id()} is a hash of all three, so the same point always maps to the same result file.
 */
public record Configuration(String benchmark, SortedMap<String, String> params, List<String> options) {

    public Configuration {
        params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
        options = List.copyOf(options);
    }

    /** Stable identifier: 16 hex digits of SHA-256 over benchmark, params and options. */
    public String id() {
        return SweepDefinition.sha256(benchmark + "|" + params + "|" + options).substring(0, 16);
    }

    /** JMH command-line arguments that run exactly this point (one value per param). */
    public List<String> jmhArgs() {
        List<String> a = new ArrayList<>();
        a.add("^" + benchmark.replace(".", "\\.") + "$");
        for (Map.Entry<String, String> p : params.entrySet()) {
            a.add("-p");
            a.add(p.getKey() + "=" + p.getValue());
        }
        a.addAll(options);
        return a;
    }

    /**
     * The same point with {@code forks} forks (its {@code -f} replaced, or added): an interleaved
     * sweep runs every configuration as that many single-fork repetitions.
     */
    public Configuration withForks(int forks) {
        List<String> o = new ArrayList<>(options);
        int at = o.indexOf("-f");
        if (at >= 0) {
            o.set(at + 1, Integer.toString(forks));
        } else {
            o.add("-f");
            o.add(Integer.toString(forks));
        }
        return new Configuration(benchmark, params, o);
    }

    /** JMH arguments of one single-fork repetition of this point: its {@code -f} replaced by 1. */
    public List<String> repetitionArgs() {
        return withForks(1).jmhArgs();
    }

    /** "MoeTopK.forward {phase=decode, topK=8}". */
    public String label() {
        String simple = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
        return simple + " " + params;
    }
}
