package knobs.kernels.checkpoint;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the tiny checkpoints to {@code -Dknobs.tinyCheckpoints=DIR} for
 * {@code scripts/reference_logits.py} (the regeneration command is in that script's header). Skipped
 * in ordinary test runs.
 */
class TinyCheckpointsExport {
    @Test
    @EnabledIfSystemProperty(named = "knobs.tinyCheckpoints", matches = ".+")
    void export() {
        TinyCheckpoints.writeAll(Path.of(System.getProperty("knobs.tinyCheckpoints")))
                .forEach((k, v) -> System.out.println("tiny checkpoint " + k + " -> " + v));
    }
}
