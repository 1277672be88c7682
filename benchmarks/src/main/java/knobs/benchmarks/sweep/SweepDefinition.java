package knobs.benchmarks.sweep;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.profile.ProfilerFactory;
import org.openjdk.jmh.runner.options.ProfilerConfig;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * What a sweep runs: one line per benchmark, with the params to widen or narrow and JMH timing
 * options, plus optional {@code set} lines for the sweep as a whole. Syntax ({@code #} starts a
 * comment):
 * <pre>
 * set interleave 2          # every configuration as 2 single-fork repetitions, in random order
 * set retry-noisy 1         # re-run a noisy or contended configuration once
 * MoeTopK topK=1,8 phase=prefill,decode -wi 1 -w 500ms -i 3 -r 500ms -f 1
 * ModelSize size=tiny -prof knobs.harness.ComponentProfiler:perLayer=true
 * Calibration
 * </pre>
 * A benchmark is a class ({@code MoeTopK}: all its methods) or {@code Class.method}. Params not
 * named keep the benchmark's {@code @Param} defaults. Options: -wi, -w, -i, -r, -f (as in JMH), and
 * -prof PROFILER[:OPTIONS] (as in JMH, once per profiler; the profiler is created here, so a bad
 * name or option is reported with the line before anything runs).
 * Every line is checked before the definition is accepted; all bad lines are reported together.
 *
 * @param interleave the {@code set interleave} value, or null when the file does not set it
 * @param retryNoisy the {@code set retry-noisy} value, or null when the file does not set it
 */
public record SweepDefinition(String name, List<Entry> entries, String text, Integer interleave, Integer retryNoisy) {

    /** JMH options a sweep line may set (each takes one value; all but -prof at most once). */
    public static final Set<String> OPTIONS = Set.of("-wi", "-w", "-i", "-r", "-f", "-prof");

    /** Sweep-wide settings a {@code set} line may give. */
    public static final Set<String> SETTINGS = Set.of("interleave", "retry-noisy");

    /** One line: a benchmark, its params (name → values) and JMH options, with its line number. */
    public record Entry(int line, String benchmark, Map<String, List<String>> params, List<String> options) {
    }

    /**
     * Named presets. {@code quick} is the smoke sweep, decision-grade: 2 interleaved repetitions × 3
     * iterations give every row 6 samples (single-shot WarmupComparison: 6 shots), each timed
     * iteration holds two or more operations (docs/running.md for the time estimate). Noisy rows are
     * not re-run by default: measured, most quick rows are noisy from the spread between JVMs, and
     * one re-run settled 7 of 22 at +5 minutes, past the 10-minute budget ({@code --retry-noisy 1}
     * asks for it); {@code full} every default; {@code gpu} full on CUDA.
     */
    public static SweepDefinition preset(String name) {
        String timing = " -wi 1 -w 500ms -i 3 -r 500ms -f 1";
        // Generation of 50 tokens and 12 crops of vision take ~0.3-0.6 s: 1 s iterations keep at least
        // two operations in each, so a row's n samples are averages, not single cold-ish shots.
        String slow = " -wi 1 -w 1s -i 3 -r 1s -f 1";
        String text = switch (name) {
            case "quick" -> String.join("\n",
                    "set interleave 2",
                    "Calibration" + timing,
                    "MoeTopK topK=1,8 phase=prefill,decode" + timing,
                    "ContextScaling crops=1,6,12" + slow,
                    "BlocksMask activeBlocks=1,4,8 phase=prefill,decode" + timing,
                    "SeqLenScaling seqLen=64,128,256" + timing,
                    "BatchSize batchSize=1,4,16 phase=decode" + timing,
                    "OutputTokens maxNewTokens=1,10,50" + slow,
                    "ModelSize size=tiny" + timing,
                    "WarmupComparison warmupSteps=0,5 -i 3 -f 1");
            case "full" -> String.join("\n", "Calibration", "MoeTopK", "ContextScaling", "BlocksMask", "SeqLenScaling", "BatchSize",
                    "OutputTokens", "ModelSize", "WarmupComparison");
            case "gpu" -> String.join("\n", "Calibration device=cuda", "MoeTopK device=cuda", "ContextScaling device=cuda",
                    "BlocksMask device=cuda",
                    "SeqLenScaling device=cuda", "BatchSize device=cuda", "OutputTokens device=cuda",
                    "ModelSize device=cuda size=tiny,small,medium,large,xl,2.7B", "WarmupComparison device=cuda");
            default -> throw new SweepException(SweepException.USAGE,
                    "unknown sweep preset '" + name + "'; known: quick, full, gpu (or the path of a sweep file)");
        };
        return parse(name, text);
    }

    /**
     * Parses sweep text. Every bad line is reported, each naming the file, its number and what is
     * allowed, in one {@link SweepException} (one line per problem).
     */
    public static SweepDefinition parse(String name, String text) {
        List<Entry> entries = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Map<String, Integer> settings = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].replaceAll("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String where = name + " line " + (i + 1) + ": ";
            try {
                if (line.equals("set") || line.startsWith("set ")) {
                    parseSetting(where, line, settings);
                } else {
                    entries.add(parseLine(where, i + 1, line));
                }
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        if (errors.isEmpty() && entries.isEmpty()) {
            errors.add(name + ": the sweep names no benchmark");
        }
        if (!errors.isEmpty()) {
            throw new SweepException(SweepException.USAGE, String.join("\n", errors));
        }
        return new SweepDefinition(name, Collections.unmodifiableList(entries), text,
                settings.get("interleave"), settings.get("retry-noisy"));
    }

    private static void parseSetting(String where, String line, Map<String, Integer> settings) {
        String[] w = line.split("\\s+");
        if (w.length != 3 || !SETTINGS.contains(w[1])) {
            throw new IllegalArgumentException(where + "'" + line + "' is not a setting; allowed: set interleave N (N >= 1), set retry-noisy K (K >= 0)");
        }
        int min = w[1].equals("interleave") ? 1 : 0;
        int v = count(where + "set " + w[1], w[2], min);
        if (settings.putIfAbsent(w[1], v) != null) {
            throw new IllegalArgumentException(where + "'set " + w[1] + "' given twice");
        }
    }

    private static Entry parseLine(String where, int no, String line) {
        List<String> words = Arrays.asList(line.split("\\s+"));
        String bench = words.get(0);
        if (!bench.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
            throw new IllegalArgumentException(where + "'" + bench + "' is not a benchmark name (Class or Class.method)");
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        List<String> options = new ArrayList<>();
        for (int w = 1; w < words.size(); w++) {
            String word = words.get(w);
            if (word.startsWith("-")) {
                if (!OPTIONS.contains(word)) {
                    throw new IllegalArgumentException(where + "unknown option '" + word + "'; allowed: -wi, -w, -i, -r, -f, -prof");
                }
                if (w + 1 >= words.size()) {
                    throw new IllegalArgumentException(where + "option " + word + " needs a value");
                }
                String value = words.get(++w);
                if (word.equals("-prof") ? profiled(options, value) : options.contains(word)) {
                    throw new IllegalArgumentException(where + "option " + word + (word.equals("-prof") ? " " + value : "") + " given twice");
                }
                checkOption(where, word, value);
                options.add(word);
                options.add(value);
            } else {
                int eq = word.indexOf('=');
                if (eq <= 0 || eq == word.length() - 1) {
                    throw new IllegalArgumentException(where + "'" + word + "' is not name=value[,value...]");
                }
                String param = word.substring(0, eq);
                if (params.containsKey(param)) {
                    throw new IllegalArgumentException(where + "param '" + param + "' given twice");
                }
                List<String> values = Arrays.asList(word.substring(eq + 1).split(","));
                if (values.stream().anyMatch(String::isEmpty)) {
                    throw new IllegalArgumentException(where + "'" + word + "' has an empty value");
                }
                params.put(param, values);
            }
        }
        return new Entry(no, bench, params, options);
    }

    /** Whether {@code options} already name the profiler of {@code spec} (PROFILER[:OPTIONS]). */
    private static boolean profiled(List<String> options, String spec) {
        String name = spec.split(":", 2)[0];
        for (int i = 0; i + 1 < options.size(); i += 2) {
            if (options.get(i).equals("-prof") && options.get(i + 1).split(":", 2)[0].equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counts must be counts (forks and measurement iterations at least 1), times positive JMH times,
     * profilers profilers JMH can create with the options given.
     */
    private static void checkOption(String where, String option, String value) {
        switch (option) {
            case "-prof" -> checkProfiler(where, value);
            case "-wi" -> count(where + option, value, 0);
            case "-i", "-f" -> count(where + option, value, 1);
            default -> {
                TimeValue t;
                try {
                    t = TimeValue.fromString(value);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(where + option + " " + value + " is not a time; allowed: a number and a unit, e.g. 500ms, 1s");
                }
                if (t.getTime() <= 0) {
                    throw new IllegalArgumentException(where + option + " " + value + ": the time must be positive");
                }
            }
        }
    }

    /** Creates the profiler as JMH would in the launching JVM: an unknown name or a bad option fails here. */
    private static void checkProfiler(String where, String spec) {
        String[] parts = spec.split(":", 2);
        try {
            ProfilerFactory.getProfilerOrException(new ProfilerConfig(parts[0], parts.length > 1 ? parts[1] : ""));
        } catch (ProfilerException e) {
            throw new IllegalArgumentException(where + "-prof " + spec + ": " + e.getMessage()
                    + " (Knobs' profilers: knobs.harness.ComponentProfiler, MemoryProfiler, NoiseProfiler, EnergyProfiler;"
                    + " JMH's own by their short names, see java -jar benchmarks.jar -lprof)");
        }
    }

    private static int count(String what, String value, int min) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " " + value + " is not a whole number; allowed: " + min + " or more");
        }
        if (n < min) {
            throw new IllegalArgumentException(what + " " + value + " is not allowed; allowed: " + min + " or more");
        }
        return n;
    }

    /** A hash of the definition's text: a resumed sweep must run the same definition. */
    public String hash() {
        return sha256(text);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
