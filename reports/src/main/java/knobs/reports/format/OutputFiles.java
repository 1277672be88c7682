package knobs.reports.format;

import knobs.reports.ReportException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
 */
public final class OutputFiles {

    /** Extensions of the files a folder owned by the report may hold; others there are never touched. */
    private static final List<String> OWNED_EXTENSIONS = List.of(".png", ".svg");

    private OutputFiles() {
    }

    /** {@link #writeAll(Path, String, Map, Set)} with no owned folders. */
    public static void writeAll(Path dir, String display, Map<String, byte[]> files) throws ReportException, IOException {
        writeAll(dir, display, files, Set.of());
    }

    /**
     * Writes {@code files} (relative name → content) into {@code dir}, creating it and any
     * sub-folder a name has ({@code plots/x.png}) if needed. In each folder of {@code owned}
     * (e.g. {@code plots}), PNG and SVG files that this call did not write are removed once the new
     * ones are in place: they belong to an earlier report and nothing links to them any more.
     *
     * @param display the folder as given, for messages
     * @throws ReportException when {@code dir} exists but is not a folder
     */
    public static void writeAll(Path dir, String display, Map<String, byte[]> files, Set<String> owned)
            throws ReportException, IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ReportException("--out " + display + ": exists and is not a folder");
        }
        Files.createDirectories(dir);
        Map<Path, Path> temps = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path target = dir.resolve(file.getKey()).normalize();
                if (!target.startsWith(dir.normalize()) || target.equals(dir.normalize())) {
                    throw new IllegalArgumentException("output name '" + file.getKey() + "' leaves the output folder");
                }
                Files.createDirectories(target.getParent());
                // Not Files.createTempFile: its owner-only permissions would carry over to the
                // published file. The pid keeps concurrent runs into one folder apart.
                Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
                temps.put(target, temp);
                Files.write(temp, file.getValue());
            }
            for (Map.Entry<Path, Path> temp : temps.entrySet()) {
                Files.move(temp.getValue(), temp.getKey(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            // After a failure, temporaries that were not moved are removed; after success there are none.
            for (Path temp : temps.values()) {
                Files.deleteIfExists(temp);
            }
        }
        for (String folder : owned) {
            removeStale(dir.resolve(folder), temps.keySet());
        }
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
