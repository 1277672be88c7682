package knobs.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's console output as benchmarks.jar shows it. A fork's failure arrives here as text (JMH
 * forwards the fork's {@code println} calls): its stack trace is cut to the exception lines unless
 * {@code -Dknobs.debug=true}, and the failure is remembered, with its first line, for the
 * launcher's one-line summary. The result file's temporary name is shown as the file it becomes.
 */
final class LaunchOutput implements OutputFormat {
    private static final Pattern FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)");
    private static final Pattern EXCEPTION = Pattern.compile("^([\\w$]+(?:\\.[\\w$]+)+)(?:: (.*))?$");

    private static final String UNKNOWN = "failed";

    private final OutputFormat out;
    private final boolean debug;
    private final String partName;
    private final String resultName;
    private final Map<String, String> failures = new LinkedHashMap<>();
    private BenchmarkParams current;
    private boolean afterFailureTag;

    /**
     * @param partName   the temporary result file JMH writes, or null
     * @param resultName the name to show for it
     */
    LaunchOutput(OutputFormat out, boolean debug, String partName, String resultName) {
        this.out = out;
        this.debug = debug;
        this.partName = partName;
        this.resultName = resultName;
    }

    /** Failed configurations ({@code MoeTopK.forward} with its parameters) and their one-line reasons, first first. */
    Map<String, String> failures() {
        return failures;
    }

    /** The benchmark running now, as {@code MoeTopK.forward}, or null before the first. */
    String currentBenchmark() {
        return current == null ? null : shortName(current.getBenchmark());
    }

    @Override
    public void println(String s) {
        if (s.equals("<failure>")) {
            afterFailureTag = true;
            failed(null);
        } else if (afterFailureTag && !s.isBlank()) {
            afterFailureTag = false;
            failed(describe(s.lines().findFirst().orElse(s)));
        } else if (s.startsWith("<forked VM failed with exit code") || s.startsWith("<failed to invoke the VM")) {
            failed(s.substring(1, s.length() - 1));
        }
        out.println(shown(s));
    }

    @Override
    public void print(String s) {
        out.print(shown(s));
    }

    @Override
    public void verbosePrintln(String s) {
        out.verbosePrintln(shown(s));
    }

    private void failed(String reason) {
        String key = "(before any benchmark)";
        if (current != null) {
            List<String> params = new ArrayList<>();
            for (Object k : current.getParamsKeys()) { // a raw Collection of names in JMH's API
                params.add(k + "=" + current.getParam((String) k));
            }
            key = shortName(current.getBenchmark()) + " (" + String.join(", ", params) + ")";
        }
        String known = failures.get(key);
        if (known == null || known.equals(UNKNOWN) && reason != null) {
            failures.put(key, reason == null ? UNKNOWN : reason);
        }
    }

    /** {@code s} with stack frames left out (unless debugging) and the temporary result name replaced. */
    private String shown(String s) {
        String t = partName == null ? s : s.replace(partName, resultName);
        if (debug || !t.contains("\tat ")) {
            return t;
        }
        StringBuilder b = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (!FRAME.matcher(line).find()) {
                b.append(line).append('\n');
            }
        }
        return b.append("\t(stack trace left out: java -D").append(Main.DEBUG_PROPERTY).append("=true -jar benchmarks.jar ... shows it)")
                .toString();
    }

    /**
     * One line for an exception's first line ({@code java.lang.IllegalArgumentException: msg}): the
     * message alone for an IllegalArgumentException, which is how every knob check reports a bad
     * value; else the exception's simple name and its message.
     */
    static String describe(String firstLine) {
        Matcher m = EXCEPTION.matcher(firstLine.trim());
        if (!m.matches()) {
            return firstLine.trim();
        }
        String simple = m.group(1).substring(m.group(1).lastIndexOf('.') + 1);
        return describe(simple, m.group(2));
    }

    /** See {@link #describe(String)}. */
    static String describe(String simpleName, String message) {
        if (message == null) {
            return simpleName;
        }
        return simpleName.equals("IllegalArgumentException") ? message : simpleName + ": " + message;
    }

    /** {@code knobs.benchmarks.MoeTopK.forward} → {@code MoeTopK.forward}. */
    static String shortName(String benchmark) {
        String prefix = Main.class.getPackageName() + ".";
        return benchmark.startsWith(prefix) ? benchmark.substring(prefix.length()) : benchmark;
    }

    @Override
    public void startBenchmark(BenchmarkParams benchParams) {
        current = benchParams;
        out.startBenchmark(benchParams);
    }

    @Override
    public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
        out.iteration(benchParams, params, iteration);
    }

    @Override
    public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration, IterationResult data) {
        out.iterationResult(benchParams, params, iteration, data);
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        out.endBenchmark(result);
    }

    @Override
    public void startRun() {
        out.startRun();
    }

    @Override
    public void endRun(Collection<RunResult> result) {
        out.endRun(result);
    }

    @Override
    public void flush() {
        out.flush();
    }

    @Override
    public void close() {
        out.close();
    }

    @Override
    public void write(int b) {
        out.write(b);
    }

    @Override
    public void write(byte[] b) throws IOException {
        out.write(b);
    }
}
