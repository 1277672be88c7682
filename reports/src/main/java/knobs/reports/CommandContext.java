package knobs.reports;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What a command may touch besides its arguments. The working directory is explicit (not the
 * JVM's) so that tests can run the CLI against a temporary folder with relative paths, which
 * keeps paths written into the outputs short and deterministic.
 *
 * @param workingDir directory that relative paths on the command line are resolved against
 * @param out        standard output (results meant for the user, e.g. usage on request)
 * @param err        standard error (warnings and errors)
 */
public record CommandContext(Path workingDir, PrintStream out, PrintStream err) {

    /** Resolves a path as given on the command line against {@link #workingDir()}. */
    public Path resolve(String given) {
        return workingDir.resolve(given).normalize();
    }

    /** Prints one warning line to standard error. */
    public void warn(String message) {
        err.println("reports: warning: " + message);
    }
}
