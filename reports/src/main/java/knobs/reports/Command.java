package knobs.reports;

import java.io.IOException;
import java.util.List;

/**
 * One sub-command of the {@code reports} CLI. Adding a command means writing one class that
 * implements this interface and listing it in {@link Main#COMMANDS}.
 */
public interface Command {

    /** The word that selects this command on the command line, e.g. {@code summarize}. */
    String name();

    /** Arguments after the name, for the usage line, e.g. {@code <jmh.json>... --out DIR}. */
    String synopsis();

    /** Further usage lines: what the command does and one line per option. */
    List<String> help();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command name
     * @return the exit status: 0, or {@link #FOUND} when the command found what it exists to flag
     *         ({@code compare}: a regression)
     * @throws ReportException bad input or usage (exit status 2)
     * @throws IOException     an I/O failure that is not the input's fault (exit status 1)
     */
    int run(List<String> args, CommandContext context) throws ReportException, IOException;

    /**
     * Exit status of a command that ran fine and found what it flags (a regression). It shares 1 with
     * an unexpected failure, as CI conventions want any non-zero status to stop a job; scripts that must
     * tell the two apart check whether the command wrote its outputs (unexpected failures write none).
     */
    int FOUND = 1;
}
