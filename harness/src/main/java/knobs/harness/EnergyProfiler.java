package knobs.harness;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Collectors;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof knobs.harness.EnergyProfiler}) reading hardware energy counters around
 * each iteration: Linux powercap/RAPL for CPU packages and DRAM, and NVML for NVIDIA GPUs (cuda
 * build only). Reports per iteration the joules of each domain, their total, the mean power, joules
 * per operation and FLOPs per joule (from the benchmark's {@code flops} counter, when it has one).
 *
 * <p>Options, after a colon, separated by {@code ;}: {@code root=DIR} (the powercap folder, default
 * {@code /sys/class/powercap}; tests point it at a fake tree), {@code nvml=auto|on|off} (auto: use
 * NVML when the build has it), {@code domains=a,b} (keep only these domains, e.g.
 * {@code package-0,gpu-0}).
 *
 * <p>Where no counter exists — inside most VMs, or a CPU build on a machine without RAPL — the
 * constructor fails with a {@link ProfilerException} naming every place it looked, so JMH stops
 * before running anything; counters that do not advance are refused the same way. It never
 * reports zeros. See docs/metrics.md.
 */
public final class EnergyProfiler implements InternalProfiler {
    /** The powercap folder read unless {@code root=} says otherwise. */
    public static final Path DEFAULT_ROOT = Paths.get("/sys/class/powercap");
    /** How long the start-up check waits for every counter to advance. */
    static final long PROBE_MS = 300;
    private static final Set<String> OPTIONS = Set.of("root", "nvml", "domains");

    private final List<EnergyDomain> domains;
    private long[] before;
    private long beforeNs;

    /**
     * For JMH's profiler discovery ({@code -lprof}) only: {@link java.util.ServiceLoader} needs a
     * constructor without arguments that does not throw. JMH runs profilers it created through
     * {@link #EnergyProfiler(String)}, which does the checks.
     */
    public EnergyProfiler() {
        this.domains = null;
    }

    /**
     * Finds the counters and checks that each one advances. JMH calls this in the host JVM, where a
     * failure stops the run before any fork starts, and again in each fork.
     *
     * @param options the text after {@code :} in {@code -prof} (see the class comment); may be empty
     * @throws ProfilerException when options are malformed, no counter is found, an expected GPU
     *                           counter is unavailable, or a counter does not advance
     */
    public EnergyProfiler(String options) throws ProfilerException {
        Map<String, String> o = parseOptions(options);
        Path root = Paths.get(o.getOrDefault("root", DEFAULT_ROOT.toString()));
        String nvmlMode = o.getOrDefault("nvml", "auto");
        if (!List.of("auto", "on", "off").contains(nvmlMode)) {
            throw new ProfilerException("EnergyProfiler: nvml=" + nvmlMode + " is not allowed; allowed: auto, on, off");
        }
        List<EnergyDomain> found = new ArrayList<>();
        List<String> lookedAt = new ArrayList<>();
        Rapl.Discovery rapl = Rapl.discover(root);
        found.addAll(rapl.zones());
        if (rapl.problem() != null) {
            lookedAt.add("RAPL counters (CPU packages, DRAM) at " + root + "/intel-rapl:*/{name,energy_uj,max_energy_range_uj}: "
                    + rapl.problem());
        }
        String nvmlProblem = null;
        if (nvmlMode.equals("off")) {
            lookedAt.add("NVML: not tried (nvml=off)");
        } else if (nvmlMode.equals("auto") && !Nvml.inBuild()) {
            lookedAt.add("NVML (NVIDIA GPUs): its bindings are not in this build (CPU build; build with mvn -Pcuda package)");
        } else {
            try {
                found.addAll(Nvml.open());
            } catch (Nvml.Unavailable e) {
                nvmlProblem = "NVML (NVIDIA GPUs): " + e.getMessage();
                lookedAt.add(nvmlProblem);
            }
        }
        if (found.isEmpty()) {
            throw new ProfilerException("EnergyProfiler found no hardware energy counter, and it does not report zeros. Looked for: "
                    + String.join("; ", lookedAt) + ". Point it at another powercap folder with"
                    + " -prof knobs.harness.EnergyProfiler:root=DIR.");
        }
        if (nvmlProblem != null) {
            // The build has NVML (or nvml=on asked for it): a GPU run without GPU energy would
            // silently report only the CPU's share.
            throw new ProfilerException("EnergyProfiler: " + nvmlProblem + ". Pass nvml=off to measure "
                    + found.stream().map(EnergyDomain::label).collect(Collectors.joining(", ")) + " only.");
        }
        this.domains = select(found, o.get("domains"));
        probe(domains);
    }

    /** Parses {@code key=value;key=value}; unknown keys and malformed pairs are errors naming what is allowed. */
    static Map<String, String> parseOptions(String line) throws ProfilerException {
        Map<String, String> out = new LinkedHashMap<>();
        if (line == null || line.isBlank()) {
            return out;
        }
        for (String part : line.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part.trim() : part.substring(0, eq).trim();
            if (eq < 0 || !OPTIONS.contains(key) || part.substring(eq + 1).isBlank()) {
                throw new ProfilerException("EnergyProfiler: bad option '" + part + "'; allowed: root=DIR, nvml=auto|on|off,"
                        + " domains=NAME[,NAME...], separated by ';'");
            }
            out.put(key, part.substring(eq + 1).trim());
        }
        return out;
    }

    private static List<EnergyDomain> select(List<EnergyDomain> found, String wanted) throws ProfilerException {
        if (wanted == null) {
            return found;
        }
        List<String> labels = found.stream().map(EnergyDomain::label).collect(Collectors.toList());
        List<EnergyDomain> out = new ArrayList<>();
        for (String w : Arrays.stream(wanted.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList())) {
            int i = labels.indexOf(w);
            if (i < 0) {
                throw new ProfilerException("EnergyProfiler: domains=" + wanted + " names '" + w + "', which is not among the"
                        + " counters found: " + labels);
            }
            out.add(found.get(i));
        }
        if (out.isEmpty()) {
            throw new ProfilerException("EnergyProfiler: domains=" + wanted + " selects nothing; found: " + labels);
        }
        return out;
    }

    /** Refuses counters that do not move: frozen or emulated ones (some VMs) would report zeros. */
    private static void probe(List<EnergyDomain> domains) throws ProfilerException {
        long[] first = readAll(domains);
        try {
            Thread.sleep(PROBE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProfilerException("EnergyProfiler: interrupted while checking that the counters advance");
        }
        long[] second = readAll(domains);
        List<String> stuck = new ArrayList<>();
        for (int i = 0; i < domains.size(); i++) {
            if (domains.get(i).joules(first[i], second[i]) <= 0) {
                stuck.add(domains.get(i).label() + " (" + domains.get(i).source() + ")");
            }
        }
        if (!stuck.isEmpty()) {
            throw new ProfilerException("EnergyProfiler: these energy counters did not advance in " + PROBE_MS + " ms: " + stuck
                    + ". A live counter always moves; frozen or emulated ones (as some VMs expose) would report zeros."
                    + " Leave them out with domains=NAME,...");
        }
    }

    private static long[] readAll(List<EnergyDomain> domains) {
        long[] v = new long[domains.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = domains.get(i).read();
        }
        return v;
    }

    @Override
    public String getDescription() {
        return "Knobs: energy per iteration from RAPL (CPU package, DRAM) and NVML (NVIDIA GPUs): joules, watts, J/op, FLOPs/J";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        if (domains == null) {
            throw new IllegalStateException("this EnergyProfiler was created for discovery only; use EnergyProfiler(String)");
        }
        beforeNs = System.nanoTime();
        before = readAll(domains);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long[] after = readAll(domains);
        long elapsedNs = System.nanoTime() - beforeNs;
        Map<String, Double> joules = new LinkedHashMap<>();
        for (int i = 0; i < domains.size(); i++) {
            EnergyDomain d = domains.get(i);
            double j = d.joules(before[i], after[i]);
            if (j <= 0) {
                throw new IllegalStateException("energy counter " + d.label() + " (" + d.source() + ") did not advance during an"
                        + " iteration of " + elapsedNs / 1_000_000 + " ms; EnergyProfiler does not report zeros"
                        + " (lengthen the iterations, e.g. -r 1s, or leave the domain out with domains=)");
            }
            joules.put(d.label(), j);
        }
        Result flops = result.getSecondaryResults().get("flops");
        return results(joules, elapsedNs, result.getMetadata().getAllOps(),
                flops == null ? OptionalDouble.empty() : OptionalDouble.of(flops.getScore()));
    }

    /**
     * The metrics of one iteration.
     *
     * @param joules    energy per domain, in label order
     * @param elapsedNs wall time between the two readings
     * @param ops       invocations in the iteration (all of them: the readings bracket the whole
     *                  iteration, measured or not); 0 leaves out joules per op
     * @param flops     the iteration's {@code flops} counter total, if the benchmark has one
     */
    static List<ScalarResult> results(Map<String, Double> joules, long elapsedNs, long ops, OptionalDouble flops) {
        List<ScalarResult> out = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Double> e : joules.entrySet()) {
            out.add(new ScalarResult("energy." + e.getKey(), e.getValue(), "J", AggregationPolicy.AVG));
            total += e.getValue();
        }
        out.add(new ScalarResult("energy.total", total, "J", AggregationPolicy.AVG));
        out.add(new ScalarResult("energy.watts", total / (elapsedNs * 1e-9), "W", AggregationPolicy.AVG));
        if (ops > 0) {
            out.add(new ScalarResult("energy.joulesPerOp", total / ops, "J/op", AggregationPolicy.AVG));
        }
        if (flops.isPresent() && flops.getAsDouble() > 0) {
            out.add(new ScalarResult("energy.flopsPerJoule", flops.getAsDouble() / total, "FLOPs/J", AggregationPolicy.AVG));
        }
        return out;
    }

    /** The domains in use, for messages and tests: label → source. */
    Map<String, String> domains() {
        Map<String, String> m = new LinkedHashMap<>();
        domains.forEach(d -> m.put(d.label(), d.source()));
        return m;
    }
}
