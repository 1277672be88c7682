package knobs.benchmarks.sweep;

/**
 * A failure the sweep runner reports as one message and an exit code, without a stack trace:
 * bad input, an unwritable folder, a lock held by another JMH. Anything else that escapes is a bug
 * and exits {@link #INTERNAL} with its stack trace.
 */
public final class SweepException extends RuntimeException {
    /** Every configuration is recorded. */
    public static final int OK = 0;
    /** Some configurations failed; the others were recorded (and the report made). */
    public static final int FAILED = 1;
    /** Bad usage or bad input: options, a sweep file, a folder that cannot be written or resumed. */
    public static final int USAGE = 2;
    /** An internal error (a bug, or the report tool failing): the message and a stack trace. */
    public static final int INTERNAL = 3;
    /** Another JMH run holds JMH's lock and did not release it within {@code --lock-wait}. */
    public static final int LOCKED = 4;

    private final int exitCode;

    public SweepException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
