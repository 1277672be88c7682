package knobs.reports;

/**
 * Bad input: a file that is missing, malformed or inconsistent with the others, or an output that cannot
 * be written. {@link Main} prints {@code reports: <message>} and exits with {@link ExitCode#BAD_INPUT};
 * no output is written. Messages name the offending file and say what was expected, so the user can fix
 * the input.
 */
public class ReportException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReportException(String message) {
        super(message);
    }

    public ReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
