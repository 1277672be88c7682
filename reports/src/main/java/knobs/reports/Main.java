package knobs.reports;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code reports.jar}: {@code java -jar reports.jar <command> [options]}.
 *
 * <p>Exit status: 0 success, 1 unexpected failure (stack trace printed) or — for {@code compare} — a
 * regression found, 2 bad input or usage (one line {@code reports: <message>}).
 */
public final class Main {

    /** Every command the CLI knows, in the order the usage text lists them. */
    static final List<Command> COMMANDS = List.of(new SummarizeCommand(), new CompareCommand(), new HistoryCommand(),
            new ExportCommand());

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
     * @return the exit status
     */
    public static int run(String[] args, Path workingDir, PrintStream out, PrintStream err) {
        if (args.length == 1 && List.of("-h", "--help", "help").contains(args[0])) {
            out.print(usage());
            return 0;
        }
        try {
            if (args.length == 0) {
                throw new UsageException("no command given");
            }
            Command command = COMMANDS.stream()
                    .filter(c -> c.name().equals(args[0]))
                    .findFirst()
                    .orElseThrow(() -> new UsageException("unknown command '" + args[0] + "'"));
            return command.run(Arrays.asList(args).subList(1, args.length), new CommandContext(workingDir, out, err));
        } catch (UsageException e) {
            err.println("reports: " + e.getMessage());
            err.print(usage());
            return 2;
        } catch (ReportException e) {
            err.println("reports: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            // Not the input's fault: a bug or an I/O failure. The trace is what a bug report needs.
            err.println("reports: unexpected failure");
            e.printStackTrace(err);
            return 1;
        }
    }

    /** The usage text: every command with its synopsis and options. */
    static String usage() {
        StringBuilder sb = new StringBuilder("usage: java -jar reports.jar <command> [options]\n\ncommands:\n");
        for (Command command : COMMANDS) {
            sb.append("  ").append(command.name()).append(' ').append(command.synopsis()).append('\n');
            for (String line : command.help()) {
                sb.append("      ").append(line).append('\n');
            }
        }
        sb.append("  --help\n      print this text\n");
        return sb.toString();
    }
}
