package knobs.benchmarks;

import java.util.ArrayList;
import java.util.List;
import knobs.harness.ContentionProfiler;

/**
 * The main of {@code benchmarks.jar}: JMH's own {@link org.openjdk.jmh.Main} with
 * {@link ContentionProfiler} added, so that every run records the machine's contention per
 * iteration without anyone passing {@code -prof}. Every JMH option works as with JMH's main; the
 * profiler is put first on the command line (before any {@code --} or benchmark pattern) and not
 * added twice when the command line names it already (with or without options).
 *
 * <p>{@code java -Dknobs.contention=off -jar benchmarks.jar ...} leaves it out. The property is
 * read by this launching JVM, not by the forks, so it goes before {@code -jar}, not into
 * {@code -jvmArgsAppend}.
 */
public final class Main {
    private Main() {
    }

    /** Runs JMH with the default profiler; a bad {@code -Dknobs.contention} exits with status 1 and one line naming it. */
    public static void main(String[] argv) throws Exception {
        List<String> args;
        try {
            args = arguments(argv, System.getProperty(ContentionProfiler.SWITCH_PROPERTY));
        } catch (IllegalArgumentException e) {
            System.err.println("benchmarks.jar: " + e.getMessage());
            System.exit(1);
            return;
        }
        org.openjdk.jmh.Main.main(args.toArray(new String[0]));
    }

    /**
     * The command line handed to JMH.
     *
     * @param argv        the user's arguments
     * @param switchValue the value of {@code -Dknobs.contention}, or null
     * @throws IllegalArgumentException when switchValue is not on or off
     */
    static List<String> arguments(String[] argv, String switchValue) {
        List<String> out = new ArrayList<>();
        if (ContentionProfiler.enabledByDefault(switchValue) && !namesContentionProfiler(argv)) {
            out.add("-prof");
            out.add(ContentionProfiler.class.getName());
        }
        out.addAll(List.of(argv));
        return out;
    }

    /** Whether a {@code -prof} argument (as {@code -prof X}, {@code -prof=X}, or with two dashes) names the profiler. */
    private static boolean namesContentionProfiler(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--")) {
                return false; // the rest are benchmark patterns
            }
            String value = null;
            if ((a.equals("-prof") || a.equals("--prof")) && i + 1 < argv.length) {
                value = argv[++i];
            } else if (a.startsWith("-prof=") || a.startsWith("--prof=")) {
                value = a.substring(a.indexOf('=') + 1);
            }
            if (value != null) {
                String name = value.contains(":") ? value.substring(0, value.indexOf(':')) : value;
                if (name.trim().equals(ContentionProfiler.class.getName())) {
                    return true;
                }
            }
        }
        return false;
    }
}
