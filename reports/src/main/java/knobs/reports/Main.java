package knobs.reports;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Entry point of {@code reports.jar}: {@code java -jar reports.jar COMMAND [options]}, parsed by picocli.
 *
 * <p>Exit status ({@link ExitCode}): 0 success, 1 a regression found by {@code compare} and nothing else,
 * 2 usage error or bad input (one line {@code reports: <message>}; for usage errors followed by the
 * command's usage line and a pointer to its {@code --help}), 3 internal error (a stack trace).
 */
public final class Main {

    /** How the program is named in usage lines. */
    static final String NAME = "java -jar reports.jar";

    private Main() {
    }

    public static void main(String[] args) {
        // The plots are drawn with Java2D; no display is needed or wanted, even where one exists.
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args, Path.of("").toAbsolutePath(), System.out, System.err));
    }

    /**
     * Runs the CLI without exiting the JVM, so tests can check the exit status.
     *
     * @param workingDir directory relative paths in {@code args} are resolved against
     * @return the exit status, one of {@link ExitCode}'s
     */
    public static int run(String[] args, Path workingDir, PrintStream out, PrintStream err) {
        return execute(commandLine(new CommandContext(workingDir, out, err)), args);
    }

    /** Runs a command tree built by {@link #commandLine}; see {@link #run}. */
    static int execute(CommandLine cli, String... args) {
        try {
            return cli.execute(args);
        } catch (Error e) {
            // Picocli hands only Exceptions to the handler; an Error (out of memory, no fonts for Java2D)
            // would leave the JVM with status 1, which belongs to compare's regressions.
            return failed(e, cli, cli.getErr());
        } finally {
            cli.getOut().flush();
            cli.getErr().flush();
        }
    }

    /** The command tree, writing to the context's streams, with the exit statuses and messages above. */
    static CommandLine commandLine(CommandContext context) {
        CommandLine history = new CommandLine(new HistoryCommand())
                .addSubcommand("add", new HistoryCommand.Add(context))
                .addSubcommand("show", new HistoryCommand.Show(context));
        CommandLine cli = new CommandLine(new ReportsCommand())
                .addSubcommand("summarize", new SummarizeCommand(context))
                .addSubcommand("compare", new CompareCommand(context))
                .addSubcommand("history", history)
                .addSubcommand("export", new ExportCommand(context))
                .addSubcommand("merge", new MergeCommand(context))
                .addSubcommand("help", new CommandLine.HelpCommand());
        configure(cli);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(context.err(), StandardCharsets.UTF_8), true);
        cli.setOut(new PrintWriter(new OutputStreamWriter(context.out(), StandardCharsets.UTF_8), true))
                .setErr(err)
                // '@file' is a file name here (JMH results may be named anything), never an argument file.
                .setExpandAtFiles(false)
                .setUsageHelpWidth(100)
                .setParameterExceptionHandler((e, args) -> usageError(e.getCommandLine(), message(e), err))
                .setExecutionExceptionHandler((e, command, parsed) -> failed(e, command, err));
        return cli;
    }

    /** Usage text common to every command: the usage line's heading and the exit statuses. */
    private static void configure(CommandLine command) {
        command.getCommandSpec().usageMessage()
                .synopsisHeading("usage: ")
                .descriptionHeading("%n")
                .parameterListHeading("%nArguments:%n")
                .optionListHeading("%nOptions:%n")
                .sortOptions(false)
                .sortSynopsis(false)
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCode.LIST);
        command.getSubcommands().values().forEach(Main::configure);
    }

    /** A usage error: the message after the command's name, its usage line, and where the help is. */
    private static int usageError(CommandLine command, String message, PrintWriter err) {
        String name = commandPath(command);
        err.println("reports: " + (name.isEmpty() ? "" : name + ": ") + message);
        CommandLine.Help help = command.getHelp();
        err.print(help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength()));
        err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for more.");
        return ExitCode.BAD_INPUT;
    }

    /** What a command threw: bad input (exit 2, one line) or a bug (exit 3, with its trace). */
    private static int failed(Throwable e, CommandLine command, PrintWriter err) {
        if (e instanceof UsageException usage) {
            return usageError(command, usage.getMessage(), err);
        }
        if (e instanceof ReportException bad) {
            err.println("reports: " + bad.getMessage());
            return ExitCode.BAD_INPUT;
        }
        // Not the input's fault: a bug. The trace is what a bug report needs.
        err.println("reports: internal error (a bug in reports; please report it with this output): " + e);
        e.printStackTrace(err);
        return ExitCode.INTERNAL_ERROR;
    }

    /** The command as typed after the program, e.g. {@code history add}; empty for the top level. */
    private static String commandPath(CommandLine command) {
        return command.getCommandSpec().qualifiedName().substring(NAME.length()).strip();
    }

    /** Picocli's parse errors in this CLI's words: what is wrong, with the option or value named. */
    static String message(ParameterException e) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String arg = unmatched.getUnmatched().get(0);
            String suggestion = unmatched.getSuggestions().isEmpty() ? ""
                    : "; did you mean '" + unmatched.getSuggestions().get(0) + "'?";
            if (arg.startsWith("-")) {
                return "unknown option '" + arg + "'" + suggestion;
            }
            if (spec.parent() == null) {
                return "unknown command '" + arg + "'" + suggestion;
            }
            if (!spec.subcommands().isEmpty()) {
                return "expected " + subcommands(spec) + ", got '" + arg + "'";
            }
            return "unexpected argument '" + arg + "'";
        }
        if (e instanceof OverwrittenOptionException overwritten && overwritten.getOverwritten() != null) {
            return "option " + name(overwritten.getOverwritten()) + " given twice";
        }
        if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            // Picocli raises this both for a required argument not given and for an option given without its value.
            if (e.getMessage().startsWith("Missing required option") || e.getMessage().startsWith("Missing required parameter:")
                    || e.getMessage().startsWith("Missing required parameters:")) {
                List<String> names = missing.getMissing().stream().map(Main::withLabel).toList();
                return String.join(" and ", names) + (names.size() == 1 ? " is" : " are") + " required";
            }
            return "option " + name(missing.getMissing().get(0)) + " needs a value";
        }
        String text = e.getMessage().strip();
        text = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    private static String subcommands(CommandSpec spec) {
        return spec.subcommands().keySet().stream().map(s -> "'" + s + "'").collect(Collectors.joining(" or "));
    }

    private static String name(ArgSpec arg) {
        return arg instanceof OptionSpec option ? option.longestName() : arg.paramLabel();
    }

    /** {@code --out DIR} for an option, {@code CURRENT} for a positional parameter. */
    private static String withLabel(ArgSpec arg) {
        if (arg instanceof PositionalParamSpec) {
            return arg.paramLabel();
        }
        return name(arg) + (arg.arity().max() == 0 ? "" : " " + arg.paramLabel());
    }
}
