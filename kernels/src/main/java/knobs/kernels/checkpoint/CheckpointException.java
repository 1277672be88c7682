package knobs.kernels.checkpoint;

/**
 * A Hugging Face checkpoint folder that cannot be loaded: its message names the folder or file and,
 * where one is at fault, the tensor, and says what is allowed. An {@link IllegalArgumentException},
 * so benchmarks.jar's pre-fork check reports it as a bad {@code -p model=} value.
 */
public final class CheckpointException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
