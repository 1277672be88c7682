package knobs.reports.input;

import knobs.reports.summary.Params;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One element of a JMH JSON result file: one benchmark method with one set of params in one mode.
 *
 * @param source        the input file as given on the command line
 * @param jmhVersion    JMH's {@code jmhVersion}
 * @param fullName      JMH's fully qualified {@code benchmark}, e.g. {@code knobs.benchmarks.MoeTopK.forward}
 * @param benchmark     {@code ClassName.method}, the name reports use
 * @param mode          JMH mode short label: {@code avgt}, {@code thrpt}, {@code ss} or {@code sample}
 * @param params        typed {@code @Param} values
 * @param threads       JMH worker threads
 * @param jvm           {@code vmName + " " + vmVersion}, or null when JMH did not write them
 * @param jdk           {@code jdkVersion}, or null
 * @param jvmArgs       {@code jvmArgs}, or null
 * @param primary       the timed metric; for {@code sample} mode one count-weighted mean per iteration
 * @param secondary     secondary metrics by name (aux counters, profilers)
 */
public record JmhRun(String source, String jmhVersion, String fullName, String benchmark, String mode,
                     Params params, int threads, String jvm, String jdk, List<String> jvmArgs,
                     Metric primary, SortedMap<String, Metric> secondary) {

    public JmhRun {
        jvmArgs = jvmArgs == null ? null : List.copyOf(jvmArgs);
        secondary = Collections.unmodifiableSortedMap(new TreeMap<>(secondary));
    }

    /** For messages: {@code MoeTopK.forward {topK=1} (avgt)}. */
    public String describe() {
        return benchmark + (params.values().isEmpty() ? "" : " " + params) + " (" + mode + ")";
    }
}
