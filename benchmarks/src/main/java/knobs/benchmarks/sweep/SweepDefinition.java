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
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
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
 * named keep the benchmark's {@code @Param} defaults; {@code -p name=v1,v2} is the same as
 * {@code name=v1,v2}. Every JMH option that shapes a run passes through ({@link #OPTIONS}: timing,
 * forks, {@code -prof}, {@code -jvmArgs*}, {@code -t}, {@code -tu}, {@code -bm} with one mode, ...),
 * each with one value, which may be quoted ({@code -jvmArgsAppend "-Dx=1 -Xmx4g"}); options the
 * runner controls ({@link #RUNNER_OPTIONS}) are refused, naming why. Values are checked as JMH
 * parses them, counts and times more strictly, profilers by creating them here, so a bad name or
 * option is reported with its line before anything runs.
 * Every line is checked before the definition is accepted; all bad lines are reported together.
 *
 * @param interleave the {@code set interleave} value, or null when the file does not set it
 * @param retryNoisy the {@code set retry-noisy} value, or null when the file does not set it
 */
public record SweepDefinition(String name, List<Entry> entries, String text, Integer interleave, Integer retryNoisy) {

    /**
     * JMH options a sweep line may set, passed to its runs as given (each takes one value; all but
     * -prof at most once). JMH 1.37's list less {@link #RUNNER_OPTIONS} and {@code -p} (a param).
     */
    public static final Set<String> OPTIONS = new java.util.TreeSet<>(Set.of("-bm", "-bs", "-f", "-gc", "-i", "-jvm", "-jvmArgs",
            "-jvmArgsAppend", "-jvmArgsPrepend", "-opi", "-prof", "-r", "-si", "-t", "-tg", "-to", "-tu", "-v", "-w", "-wbs", "-wf",
            "-wi", "-wm", "-wmb"));

    /** JMH options the runner itself controls, with why a sweep line may not give them. */
    public static final Map<String, String> RUNNER_OPTIONS = Map.ofEntries(
            Map.entry("-rf", "the runner writes each run's JSON result to its own file"),
            Map.entry("-rff", "the runner writes each run's JSON result to its own file"),
            Map.entry("-o", "the runner keeps each run's output in logs/"),
            Map.entry("-foe", "the runner runs each configuration as its own JMH run and records a failure as such"),
            Map.entry("-e", "a line selects its benchmarks by name; leave out what you do not want on another line"),
            Map.entry("-h", "it lists instead of running"),
            Map.entry("-l", "it lists instead of running"),
            Map.entry("-lp", "it lists instead of running"),
            Map.entry("-lprof", "it lists instead of running"),
            Map.entry("-lrf", "it lists instead of running"));

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
        List<String> words = words(where, line);
        String bench = words.get(0);
        if (!bench.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
            throw new IllegalArgumentException(where + "'" + bench + "' is not a benchmark name (Class or Class.method)");
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        List<String> options = new ArrayList<>();
        for (int w = 1; w < words.size(); w++) {
            String word = words.get(w);
            if (word.equals("-p") || word.equals("--p")) {
                if (w + 1 >= words.size()) {
                    throw new IllegalArgumentException(where + "option -p needs name=value[,value...]");
                }
                word = words.get(++w);
            } else if (word.startsWith("-")) {
                String option = word.startsWith("--") ? word.substring(1) : word;
                if (RUNNER_OPTIONS.containsKey(option)) {
                    throw new IllegalArgumentException(where + "option " + word + " is the runner's: " + RUNNER_OPTIONS.get(option));
                }
                if (!OPTIONS.contains(option)) {
                    throw new IllegalArgumentException(where + "unknown option '" + word + "'; allowed: " + String.join(", ", OPTIONS)
                            + ", -p (JMH's options; the runner's own " + String.join(", ", new java.util.TreeSet<>(RUNNER_OPTIONS.keySet()))
                            + " are refused)");
                }
                word = option;
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
                continue;
            }
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
        checkWithJmh(where, options);
        return new Entry(no, bench, params, options);
    }

    /**
     * A line's words: split at white space, except inside double or single quotes, which are
     * removed ({@code -jvmArgsAppend "-Dx=1 -Xmx4g"} is two words).
     */
    static List<String> words(String where, String line) {
        List<String> out = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    word.append(ch);
                }
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                word = word == null ? new StringBuilder() : word;
            } else if (Character.isWhitespace(ch)) {
                if (word != null) {
                    out.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(ch);
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException(where + "unclosed " + quote + " quote");
        }
        if (word != null) {
            out.add(word.toString());
        }
        return out;
    }

    /**
     * Parses the options as JMH will ({@code -tu}, {@code -bm}, {@code -t}, {@code -gc}, ... values),
     * and refuses more than one mode: a configuration is one result.
     */
    private static void checkWithJmh(String where, List<String> options) {
        List<String> args = new ArrayList<>(options);
        args.add("Sweep"); // a pattern, so that the options are read as options
        CommandLineOptions parsed;
        try {
            parsed = new CommandLineOptions(args.toArray(new String[0]));
        } catch (CommandLineOptionException e) {
            throw new IllegalArgumentException(where + "JMH refuses the options " + String.join(" ", options) + ": " + e.getMessage());
        }
        if (parsed.getBenchModes().size() > 1 || parsed.getBenchModes().contains(org.openjdk.jmh.annotations.Mode.All)) {
            throw new IllegalArgumentException(where + "-bm " + options.get(options.indexOf("-bm") + 1) + " names more than one mode;"
                    + " allowed: one of thrpt, avgt, sample, ss (a configuration is one result: put each mode on its own line)");
        }
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
            case "-w", "-r" -> {
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
        String[] parts;
        try {
            // As the runs' launcher will: async-profiler's library from the jar (JMH's constructor loads it).
            parts = (knobs.benchmarks.AsyncProfilerLib.isAsync(spec) ? knobs.benchmarks.AsyncProfilerLib.complete(spec, note -> { })
                    : spec).split(":", 2);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage());
        }
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

    /**
     * This definition with JMH options added to every benchmark line, as if written there (before
     * its comment): the text is rewritten and parsed again, so the stored definition holds them and
     * every error still names its line (an option a line already gives is "given twice").
     */
    public SweepDefinition withOptions(List<String> options) {
        if (options.isEmpty()) {
            return this;
        }
        if (!options.get(0).startsWith("-")) {
            throw new SweepException(SweepException.USAGE, "'" + options.get(0) + "' is not a JMH option; JMH options for every line"
                    + " go after --, e.g. -- -prof knobs.harness.NoiseProfiler");
        }
        StringBuilder extra = new StringBuilder();
        for (String o : options) {
            if (o.isEmpty() || o.contains("#") || (o.contains("'") && o.contains("\""))) {
                throw new SweepException(SweepException.USAGE, "JMH option '" + o + "' cannot be added to a sweep line"
                        + " (empty, a #, or both kinds of quote)");
            }
            String q = o.contains("\"") ? "'" : "\"";
            extra.append(' ').append(o.chars().anyMatch(Character::isWhitespace) || o.contains("'") || o.contains("\"") ? q + o + q : o);
        }
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int hash = lines[i].indexOf('#');
            String code = hash < 0 ? lines[i] : lines[i].substring(0, hash);
            String comment = hash < 0 ? "" : " " + lines[i].substring(hash);
            String trimmed = code.trim();
            if (!trimmed.isEmpty() && !trimmed.equals("set") && !trimmed.startsWith("set ")) {
                lines[i] = code.stripTrailing() + extra + comment;
            }
        }
        return parse(name, String.join("\n", lines));
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
