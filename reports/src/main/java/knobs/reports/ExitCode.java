package knobs.reports;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit statuses of {@code reports.jar}, one meaning each, so that a script can act on the number
 * alone. Every command's {@code --help} lists them ({@link #LIST}).
 */
public final class ExitCode {

    /** The command did what was asked; for {@code compare}: nothing regressed. */
    public static final int OK = 0;

    /** {@code compare} found a regression (its outputs are written). No other outcome exits 1. */
    public static final int REGRESSION = 1;

    /**
     * A usage error or bad input (a missing or malformed file, an output that cannot be written): one line
     * {@code reports: <message>} on standard error, and nothing written.
     */
    public static final int BAD_INPUT = 2;

    /** A bug in reports itself: {@code reports: internal error} and a stack trace on standard error. */
    public static final int INTERNAL_ERROR = 3;

    /** Status → meaning, as {@code --help} shows it. */
    static final Map<String, String> LIST = list();

    private ExitCode() {
    }

    private static Map<String, String> list() {
        Map<String, String> list = new LinkedHashMap<>();
        list.put(Integer.toString(OK), "success (compare: no regression)");
        list.put(Integer.toString(REGRESSION), "compare found a regression; no other outcome exits 1");
        list.put(Integer.toString(BAD_INPUT), "usage error, bad input or unwritable output: one line 'reports: ...', nothing written");
        list.put(Integer.toString(INTERNAL_ERROR), "internal error (a bug in reports): a stack trace on stderr");
        return list;
    }
}
