package knobs.reports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a set of output files so that readers never see a half-written one: every file is
 * first written in full to a temporary file in the same folder, and only when all of them are
 * written is each renamed into place (an atomic rename on one file system).
 */
public final class OutputFiles {

    private OutputFiles() {
    }

    /**
     * Writes {@code files} (name → content) into {@code dir}, creating it if needed.
     *
     * @param display the folder as given, for messages
     * @throws ReportException when {@code dir} exists but is not a folder
     */
    public static void writeAll(Path dir, String display, Map<String, byte[]> files) throws ReportException, IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ReportException("--out " + display + ": exists and is not a folder");
        }
        Files.createDirectories(dir);
        Map<String, Path> temps = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                // Not Files.createTempFile: its owner-only permissions would carry over to the
                // published file. The pid keeps concurrent runs into one folder apart.
                Path temp = dir.resolve("." + file.getKey() + "." + ProcessHandle.current().pid() + ".tmp");
                temps.put(file.getKey(), temp);
                Files.write(temp, file.getValue());
            }
            for (Map.Entry<String, Path> temp : temps.entrySet()) {
                Files.move(temp.getValue(), dir.resolve(temp.getKey()),
                        StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            // After a failure, temporaries that were not moved are removed; after success there are none.
            for (Path temp : temps.values()) {
                Files.deleteIfExists(temp);
            }
        }
    }
}
