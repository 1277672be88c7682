package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Paths in knob values: home, absolute, and relative to the user's folder when a sweep child runs elsewhere. */
class UserPathsTest {
    @Test
    void resolvesAgainstTheBaseFolderOnlyWhenRelative() {
        String before = System.getProperty(UserPaths.BASE_DIR);
        try {
            System.clearProperty(UserPaths.BASE_DIR);
            assertEquals(Path.of("t.jsonl"), UserPaths.resolve("t.jsonl"));
            assertEquals(Path.of(System.getProperty("user.home"), "m"), UserPaths.resolve("~/m"));
            System.setProperty(UserPaths.BASE_DIR, "/home/u/work");
            assertEquals(Path.of("/home/u/work/data/p.txt"), UserPaths.resolve("data/p.txt"));
            assertEquals(Path.of("/abs/p.txt"), UserPaths.resolve("/abs/p.txt"));
            assertEquals(Path.of(System.getProperty("user.home"), "m"), UserPaths.resolve("~/m"));
        } finally {
            if (before == null) {
                System.clearProperty(UserPaths.BASE_DIR);
            } else {
                System.setProperty(UserPaths.BASE_DIR, before);
            }
        }
    }
}
