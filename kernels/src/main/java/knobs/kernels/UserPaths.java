package knobs.kernels;

import java.nio.file.Path;

/**
 * Files and folders named in knob values ({@code -p model=DIR}, {@code -p tokens=FILE},
 * {@code -p routing=trace:FILE}), as the user meant them: {@code ~/} is the home folder, and a
 * relative path is relative to the folder the user started the run in. That is the working
 * directory, except in the sweep runner's children, which run in the sweep's {@code results/}
 * folder and are told the user's folder with {@code -Dknobs.base.dir}; JMH's forks inherit it.
 */
public final class UserPaths {
    /** The system property naming the folder relative paths are resolved against. */
    public static final String BASE_DIR = "knobs.base.dir";

    private UserPaths() {
    }

    /**
     * The path {@code spec} names (see the class comment).
     *
     * @throws java.nio.file.InvalidPathException when it is no path on this system (a NUL character, say)
     */
    public static Path resolve(String spec) {
        Path p = Path.of(spec.equals("~") || spec.startsWith("~/") ? System.getProperty("user.home") + spec.substring(1) : spec);
        String base = System.getProperty(BASE_DIR);
        return p.isAbsolute() || base == null || base.isEmpty() ? p : Path.of(base).resolve(p);
    }
}
