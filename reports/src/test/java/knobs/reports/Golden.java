package knobs.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under {@code src/test/resources/golden/} (surefire runs in the module folder, so this
 * is the source tree). With {@code -Dknobs.updateGolden=true} the actual output replaces the golden
 * file first: regenerate after an intended change, then review the diff.
 */
final class Golden {
    static final Path ROOT = Path.of("src", "test", "resources", "golden");

    private Golden() {
    }

    /** Asserts {@code actual} equals the golden file {@code name} in {@code goldenDir}, byte for byte as UTF-8 text. */
    static void check(Path goldenDir, String name, Path actual) throws IOException {
        Path golden = goldenDir.resolve(name);
        if (Boolean.getBoolean("knobs.updateGolden")) {
            Files.createDirectories(goldenDir);
            Files.write(golden, Files.readAllBytes(actual));
        }
        assertTrue(Files.exists(golden), "missing golden file " + golden + "; run with -Dknobs.updateGolden=true");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), Files.readString(actual, StandardCharsets.UTF_8),
                name + " differs from its golden file");
    }
}
