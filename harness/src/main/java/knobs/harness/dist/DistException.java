package knobs.harness.dist;

/** A distributed run failed: a rank died, did not join, or did not answer in time; the message names it. */
public final class DistException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DistException(String message) {
        super(message);
    }

    public DistException(String message, Throwable cause) {
        super(message, cause);
    }
}
