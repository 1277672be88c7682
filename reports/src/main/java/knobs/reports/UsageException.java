package knobs.reports;

/**
 * A command line that parses but makes no sense (a value out of range, a sub-command missing). {@link Main}
 * prints the message after the command's name, then the command's usage line and a pointer to its
 * {@code --help}; exit status {@link ExitCode#BAD_INPUT}.
 */
public final class UsageException extends ReportException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
