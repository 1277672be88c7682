package knobs.reports;

/** A malformed command line; {@link Main} prints the usage text after the message. */
public final class UsageException extends ReportException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
