package knobs.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import knobs.harness.ContentionProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkException;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.Defaults;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.UnCloseablePrintStream;
import org.openjdk.jmh.util.Utils;

/**
 * The main of {@code benchmarks.jar}: JMH's command line and runner, with what a script or CI needs
 * around them. Every JMH option works as with {@link org.openjdk.jmh.Main}; in addition:
 * <ul>
 *   <li>{@link ContentionProfiler} is added, so every run records the machine's contention per
 *       iteration without anyone passing {@code -prof}: first on the command line (before any
 *       {@code --} or pattern), not twice when the command line names it (with or without options).
 *       {@code java -Dknobs.contention=off -jar benchmarks.jar ...} leaves it out.</li>
 *   <li>Every configuration is checked before any fork starts ({@link PreForkCheck}): a bad knob
 *       value, an unknown {@code -p} name or a pattern that selects nothing is one line per
 *       problem on stderr and exit status 2, in milliseconds.</li>
 *   <li>The thread aliases {@code -Dknobs.threads} / {@code -Dknobs.intraop.threads}, as the forks will
 *       see them, become {@code -p blasThreads=V} / {@code -p intraOpThreads=V} (so that results are
 *       keyed by them); a {@code -p} that disagrees with its alias is refused ({@link ThreadKnobs}).</li>
 *   <li>{@code -prof async} works with nothing installed: the async-profiler library in the jar is
 *       extracted and given as {@code libPath}, with {@code event=itimer} where perf events are not
 *       available ({@link AsyncProfilerLib}).</li>
 *   <li>{@code -foe true} is the default: a configuration that fails in its fork (what only
 *       libtorch can tell, such as a missing GPU) stops the run with one line on stderr and status
 *       1. With an explicit {@code -foe false} the others still run, and the status is 1 if any
 *       failed.</li>
 *   <li>The result file ({@code -rf}/{@code -rff}) is written under a temporary name beside it and
 *       renamed only when the run succeeded: a failed run leaves no empty or partial file, and an
 *       older file of that name untouched.</li>
 *   <li>Every fork maps a class-data archive of this jar ({@link ClassDataArchive}), made once per
 *       jar build and JVM before the first fork; {@code -Dknobs.cds=off} goes without.</li>
 *   <li>Stack traces, the launcher's and the forks', are left out unless {@code -Dknobs.debug=true}.</li>
 * </ul>
 * Exit status: 0 success, 1 a benchmark failed while running, 2 the command line or a
 * configuration is invalid (nothing ran). The {@code -D} switches are read by this launching JVM,
 * so they go before {@code -jar}, not into {@code -jvmArgsAppend}.
 */
public final class Main {
    /** {@code -Dknobs.debug=true}: stack traces on stderr and in the forks' output. */
    static final String DEBUG_PROPERTY = "knobs.debug";
    /** Nothing ran: the command line or a configuration is invalid. */
    static final int INVALID = 2;
    /** A benchmark failed while running. */
    static final int FAILED = 1;

    private Main() {
    }

    /** Runs JMH as described in the class comment and exits with its status. */
    public static void main(String[] argv) throws Exception {
        int status = run(argv, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The whole launch; returns the exit status, having written any error as one line per problem to {@code err}. */
    static int run(String[] argv, PrintStream err) throws IOException {
        List<String> args;
        CommandLineOptions options;
        try {
            ClassDataArchive.enabled(System.getProperty(ClassDataArchive.SWITCH_PROPERTY)); // a bad value stops here, before any work
            args = AsyncProfilerLib.complete(arguments(argv, System.getProperty(ContentionProfiler.SWITCH_PROPERTY)),
                    note -> err.println("knobs: note: " + note));
            options = new CommandLineOptions(args.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            debug(e);
            err.println("knobs: " + e.getMessage());
            return INVALID;
        } catch (CommandLineOptionException e) {
            debug(e);
            err.println("knobs: invalid command line: " + e.getMessage() + " (see -h)");
            return INVALID;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args.toArray(new String[0]));
            return 0;
        }
        List<String> problems = new ArrayList<>();
        List<String> aliases = PreForkCheck.aliasParams(options, BenchmarkList.defaultList(), problems);
        if (!problems.isEmpty()) { // the configurations' own checks would repeat them
            problems.forEach(p -> err.println("knobs: " + p));
            return INVALID;
        }
        if (!aliases.isEmpty()) { // the thread aliases become params, so that results are keyed by them
            List<String> withAliases = new ArrayList<>(aliases);
            withAliases.addAll(args);
            args = withAliases;
            try {
                options = new CommandLineOptions(args.toArray(new String[0]));
            } catch (CommandLineOptionException e) {
                throw new IllegalStateException("the command line with " + aliases + " added no longer parses", e);
            }
        }
        CommandLineOptions parsed = options;
        List<String> given = paramNames(args).stream().filter(n -> parsed.getParameter(n).hasValue()).toList();
        problems.addAll(PreForkCheck.problems(options, given, BenchmarkList.defaultList()));
        if (!problems.isEmpty()) {
            problems.forEach(p -> err.println("knobs: " + p));
            return INVALID;
        }
        ResultFile result = ResultFile.of(options);
        if (result != null) {
            try {
                result.create();
            } catch (IOException e) {
                debug(e);
                err.println("knobs: cannot write " + result.target + ": " + reason(e));
                return INVALID;
            }
        }
        try {
            return runJmh(options, result, err);
        } finally {
            if (result != null) {
                Files.deleteIfExists(result.part); // still there only when the run did not succeed
            }
        }
    }

    private static int runJmh(CommandLineOptions options, ResultFile result, PrintStream err) throws IOException {
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(options).shouldFailOnError(options.shouldFailOnError().orElse(true));
        if (result != null) {
            builder.result(result.part.toString());
        }
        // Last before the forks: every check has passed, so a run that stops early never pays for the archive.
        List<String> cds = ClassDataArchive.forkArgs(options, ManagementFactory.getRuntimeMXBean().getInputArguments(),
                note -> err.println("knobs: note: " + note));
        if (!cds.isEmpty()) { // before the user's own -jvmArgsPrepend, so that theirs win
            List<String> prepend = new ArrayList<>(cds);
            prepend.addAll(options.getJvmArgsPrepend().orElse(List.of()));
            builder.jvmArgsPrepend(prepend.toArray(new String[0]));
        }
        Options run = builder.build();
        LaunchOutput out = new LaunchOutput(
                OutputFormatFactory.createFormatInstance(console(run), run.verbosity().orElse(Defaults.VERBOSITY)),
                Boolean.getBoolean(DEBUG_PROPERTY), result == null ? null : result.part.toString(),
                result == null ? null : result.target.toString());
        Collection<RunResult> results;
        try {
            results = new Runner(run, out).run();
        } catch (RunnerException e) {
            out.flush(); // JMH closes its output only after a run that ended normally
            return failure(e, out, err);
        }
        Map<String, String> failures = out.failures();
        if (!failures.isEmpty()) { // -foe false: the others ran
            Map.Entry<String, String> first = failures.entrySet().iterator().next();
            err.println("knobs: " + failures.size() + " configuration" + (failures.size() == 1 ? "" : "s") + " failed"
                    + (result != null && !results.isEmpty() ? " (left out of " + result.target + ")" : "")
                    + "; first " + first.getKey() + ": " + first.getValue());
        }
        if (results.isEmpty()) {
            if (failures.isEmpty()) {
                err.println("knobs: the run produced no result");
            }
            return FAILED;
        }
        if (result != null) {
            try {
                Files.move(result.part, result.target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                debug(e);
                err.println("knobs: cannot write " + result.target + ": " + reason(e));
                return FAILED;
            }
        }
        return failures.isEmpty() ? 0 : FAILED;
    }

    /** The one line (or one per profiler) for a run JMH ended with an exception, and the exit status. */
    private static int failure(RunnerException e, LaunchOutput out, PrintStream err) {
        debug(e);
        if (e instanceof NoBenchmarksException) {
            err.println("knobs: no benchmark matches (list them with -l)");
            return INVALID;
        }
        if (e instanceof ProfilersFailedException) { // before any fork: a profiler cannot run here
            for (Throwable t = e; t != null; t = t.getCause()) {
                err.println("knobs: " + t.getMessage());
                for (Throwable s : t.getSuppressed()) {
                    err.println("knobs: " + s.getMessage());
                }
            }
            return INVALID;
        }
        Throwable root = rootCause(e);
        if (root == e) { // JMH's own, e.g. the lock held by another run
            err.println("knobs: " + e.getMessage().replaceFirst("^ERROR: ", ""));
            return FAILED;
        }
        String where = out.currentBenchmark();
        err.println("knobs: " + (where == null ? "" : where + ": ") + LaunchOutput.describe(root.getClass().getSimpleName(), root.getMessage()));
        return FAILED;
    }

    /** What a benchmark threw, inside JMH's wrappers (a BenchmarkException carries it as suppressed). */
    static Throwable rootCause(Throwable t) {
        if (t instanceof BenchmarkException && t.getSuppressed().length > 0) {
            return rootCause(t.getSuppressed()[0]);
        }
        if ((t instanceof RunnerException || t instanceof BenchmarkException) && t.getCause() != null) {
            return rootCause(t.getCause());
        }
        return t;
    }

    /**
     * What this launcher would refuse before any fork for a command line that runs benchmarks
     * (its thread aliases and every configuration's knob check), one message per problem, without
     * the {@code knobs: } prefix; empty when it would run. The memory budget is left out: it
     * depends on the machine the runs land on (a sweep's shard may run on another), so the run
     * itself checks it. The sweep runner checks every configuration of a sweep with this before it
     * runs any.
     */
    public static List<String> problems(List<String> jmhArgs) {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(jmhArgs.toArray(new String[0]));
        } catch (CommandLineOptionException e) {
            return List.of("invalid command line: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        List<String> aliases = PreForkCheck.aliasParams(options, BenchmarkList.defaultList(), problems);
        if (!problems.isEmpty()) {
            return problems;
        }
        if (!aliases.isEmpty()) {
            List<String> args = new ArrayList<>(aliases);
            args.addAll(jmhArgs);
            try {
                options = new CommandLineOptions(args.toArray(new String[0]));
            } catch (CommandLineOptionException e) {
                throw new IllegalStateException("the command line with " + aliases + " added no longer parses", e);
            }
        }
        CommandLineOptions parsed = options;
        List<String> given = paramNames(jmhArgs).stream().filter(n -> parsed.getParameter(n).hasValue()).toList();
        return PreForkCheck.problems(options, given, BenchmarkList.defaultList(), false);
    }

    /** JMH's console: {@code -o FILE}, else stdout (not closed when JMH closes its output). */
    private static PrintStream console(Options options) throws IOException {
        if (options.getOutput().hasValue()) {
            return new PrintStream(options.getOutput().get(), Utils.guessConsoleEncoding());
        }
        return new UnCloseablePrintStream(System.out, Utils.guessConsoleEncoding());
    }

    /** The names given with {@code -p} ({@code -p name=v1,v2}, {@code -pname=v}), before any {@code --}. */
    static List<String> paramNames(List<String> args) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                break;
            }
            String value = null;
            if ((a.equals("-p") || a.equals("--p")) && i + 1 < args.size()) {
                value = args.get(++i);
            } else if (a.startsWith("--p=")) {
                value = a.substring(4);
            } else if (a.startsWith("-p") && a.length() > 2 && a.contains("=") && !a.startsWith("-prof")) {
                value = a.substring(2);
            }
            if (value != null && value.contains("=")) {
                names.add(value.substring(0, value.indexOf('=')));
            }
        }
        return names;
    }

    /** The OS's reason for an I/O failure, in words ("permission denied", "no such file or folder"). */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder: " + ((NoSuchFileException) e).getFile();
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            String r = ((FileSystemException) e).getReason();
            return Character.toLowerCase(r.charAt(0)) + r.substring(1); // "Not a directory" -> "not a directory"
        }
        return e.getMessage();
    }

    /** Prints {@code t}'s stack trace on stderr when {@code -Dknobs.debug=true}. */
    static void debug(Throwable t) {
        if (Boolean.getBoolean(DEBUG_PROPERTY)) {
            t.printStackTrace(System.err);
        }
    }

    /**
     * The result file JMH would write ({@code -rff}, else {@code jmh-result.FORMAT} when only
     * {@code -rf} is given) and the temporary file beside it that JMH writes instead.
     */
    private record ResultFile(Path target, Path part) {
        static ResultFile of(Options options) {
            if (!options.getResult().hasValue() && !options.getResultFormat().hasValue()) {
                return null;
            }
            Path target = Paths.get(options.getResult().orElse(Defaults.RESULT_FILE_PREFIX + "."
                    + options.getResultFormat().orElse(Defaults.RESULT_FORMAT).toString().toLowerCase(Locale.ROOT)));
            String name = target.getFileName().toString();
            return new ResultFile(target, target.resolveSibling("." + name + "." + ProcessHandle.current().pid() + ".part"));
        }

        /** Creates the temporary file (with the umask's permissions), failing with the OS's reason. */
        void create() throws IOException {
            if (Files.isDirectory(target)) {
                throw new FileSystemException(target.toString(), null, "is a folder");
            }
            Path folder = target.toAbsolutePath().getParent();
            if (folder != null && !Files.exists(folder)) {
                throw new FileSystemException(folder.toString(), null, "folder " + folder + " does not exist");
            }
            Files.deleteIfExists(part);
            Files.createFile(part);
        }
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
