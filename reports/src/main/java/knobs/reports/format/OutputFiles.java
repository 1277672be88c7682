package knobs.reports.format;

import knobs.reports.ReportException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a set of output files so that readers never see a half-written one: every file is
 * first written in full to a temporary file in the same folder, and only when all of them are
 * written is each renamed into place (an atomic rename on one file system), in the order given,
 * so a page listed last appears only once the files it links to are in place.
 *
 * <p>An output that cannot be written (a read-only folder, a path through a regular file, a full disk)
 * is bad input, not a bug: {@code cannot write OUT: <reason>}, and nothing is left behind — no temporary
 * file, and no folder that this call created.
 */
public final class OutputFiles {

    /** Extensions of the files a folder owned by the report may hold; others there are never touched. */
    private static final List<String> OWNED_EXTENSIONS = List.of(".png", ".svg");

    private OutputFiles() {
    }

    /** {@link #writeAll(Path, String, Map, Set)} with no owned folders. */
    public static void writeAll(Path dir, String display, Map<String, byte[]> files) throws ReportException {
        writeAll(dir, display, files, Set.of());
    }

    /**
     * Writes one file atomically, creating its folder if needed.
     *
     * @param display the file as given, for messages
     */
    public static void writeFile(Path file, String display, byte[] content) throws ReportException {
        Path shown = Path.of(display).getParent();
        write(file.getParent(), shown, display, Map.of(file.getFileName().toString(), content), Set.of());
    }

    /**
     * Writes {@code files} (relative name → content) into {@code dir}, creating it and any
     * sub-folder a name has ({@code plots/x.png}) if needed. In each folder of {@code owned}
     * (e.g. {@code plots}), PNG and SVG files that this call did not write are removed once the new
     * ones are in place: they belong to an earlier report and nothing links to them any more.
     *
     * @param display the folder as given, for messages
     * @throws ReportException when {@code dir} or a file in it cannot be written: it is a file, a folder
     *                         on the way is a file, permission is denied, the disk is full, ...
     */
    public static void writeAll(Path dir, String display, Map<String, byte[]> files, Set<String> owned) throws ReportException {
        write(dir, Path.of(display), display, files, owned);
    }

    /**
     * @param shown   {@code dir} as the user spelled it (or null for the working folder), to name a file in the way
     * @param display the output as given, first in every message
     */
    private static void write(Path dir, Path shown, String display, Map<String, byte[]> files, Set<String> owned)
            throws ReportException {
        String inTheWay = fileInTheWay(dir, shown);
        if (inTheWay != null) {
            throw new ReportException("cannot write " + display + ": " + inTheWay);
        }
        List<Path> created = new ArrayList<>();
        Map<Path, Path> temps = new LinkedHashMap<>();
        try {
            createDirectories(dir, created);
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path target = dir.resolve(file.getKey()).normalize();
                if (!target.startsWith(dir.normalize()) || target.equals(dir.normalize())) {
                    throw new IllegalArgumentException("output name '" + file.getKey() + "' leaves the output folder");
                }
                String folder = fileInTheWay(target.getParent(), shown == null ? Path.of(file.getKey()).getParent()
                        : shown.resolve(file.getKey()).getParent());
                if (folder != null) {
                    throw new ReportException("cannot write " + display + ": " + folder);
                }
                createDirectories(target.getParent(), created);
                // Not Files.createTempFile: its owner-only permissions would carry over to the
                // published file. The pid keeps concurrent runs into one folder apart.
                Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
                temps.put(target, temp);
                Files.write(temp, file.getValue());
            }
            for (Map.Entry<Path, Path> temp : temps.entrySet()) {
                Files.move(temp.getValue(), temp.getKey(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            ReportException failure = new ReportException("cannot write " + display + ": " + reason(e), e);
            undo(temps.values(), created, failure);
            throw failure;
        } catch (ReportException | RuntimeException e) {
            undo(temps.values(), created, e);
            throw e;
        }
        try {
            for (String folder : owned) {
                removeStale(dir.resolve(folder), temps.keySet());
            }
        } catch (IOException e) {
            // The new outputs are in place; only figures of an earlier report could not be removed.
            throw new ReportException("cannot write " + display + ": removing figures of an earlier report: " + reason(e), e);
        }
    }

    /**
     * Where the output folder (or one on its way) is a regular file: that file, in the user's spelling.
     * Checked before anything is written, since the OS would only say "not a directory" or "file exists".
     *
     * @return e.g. {@code "out is a file, not a folder"}, or null when nothing is in the way
     */
    private static String fileInTheWay(Path dir, Path shown) {
        for (Path p = dir, s = shown; p != null; p = p.getParent(), s = s == null ? null : s.getParent()) {
            if (Files.isDirectory(p)) {
                return null;
            }
            if (Files.exists(p)) {
                return (s == null ? p.getFileName() : s) + " is a file, not a folder";
            }
        }
        return null;
    }

    /** Creates a folder and its missing parents, recording each one created, outermost first. */
    private static void createDirectories(Path dir, List<Path> created) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.add(0, p);
        }
        for (Path p : missing) {
            Files.createDirectory(p);
            created.add(p);
        }
    }

    /**
     * After a failure: removes the temporaries not moved and the folders this call created, innermost first.
     * What cannot be removed (a folder that a rename already filled) stays, recorded on the failure.
     */
    private static void undo(Collection<Path> temps, List<Path> created, Exception failure) {
        for (Path temp : temps) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /** The OS's reason in a few words: "permission denied", "read-only file system", "no space left on device". */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason()
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return reason.isEmpty() ? reason : Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
    }

    private static void removeStale(Path folder, Set<Path> written) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> entries = Files.list(folder)) {
            entries.filter(Files::isRegularFile)
                    .filter(p -> OWNED_EXTENSIONS.stream().anyMatch(ext -> p.getFileName().toString().endsWith(ext)))
                    .filter(p -> !written.contains(p.normalize()))
                    .forEach(stale::add);
        }
        for (Path p : stale) {
            Files.delete(p);
        }
    }
}
