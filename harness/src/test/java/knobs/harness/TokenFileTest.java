package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import knobs.kernels.ModelConfig;
import knobs.kernels.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token files: both formats, and every file that cannot feed the step a clear error before timing. */
class TokenFileTest {
    private static final ModelConfig TINY = Presets.get("tiny"); // vocab 256

    @Test
    void readsTextAndJson(@TempDir Path dir) throws IOException {
        TokenFile text = file(dir, "# a comment\n1 2, 3\n\n4,5,6 7\r\n");
        assertEquals(2, text.sequences());
        assertArrayEquals(new long[] {1, 2, 3}, text.sequence(0));
        assertArrayEquals(new long[] {4, 5, 6, 7}, text.sequence(1));
        TokenFile nested = file(dir, " [[1, 2], [3, 4, 5]]");
        assertArrayEquals(new long[] {3, 4, 5}, nested.sequence(1));
        TokenFile flat = file(dir, "[9, 8, 7]");
        assertEquals(1, flat.sequences());
        assertArrayEquals(new long[] {9, 8, 7}, flat.sequence(0));
        assertNull(TokenFile.forKnob("random"), "random ids stay the default");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> TokenFile.forKnob("none.txt"));
        assertEquals("tokens=none.txt: no such file; allowed: random or a file of token ids", missing.getMessage());
    }

    @Test
    void badFilesAreErrorsNamingTheProblem(@TempDir Path dir) throws IOException {
        bad(dir, null, "tokens=FILE: no such file");
        bad(dir, "# nothing\n\n", "tokens=FILE: holds no token ids");
        bad(dir, "1 2 x3\n", "tokens=FILE: line 1: 'x3' is not a token id (a whole number >= 0)");
        bad(dir, "1\n2 -3\n", "tokens=FILE: line 2: token id -3 is negative");
        bad(dir, "[[1, 2], [3, 2.5]]", "tokens=FILE: sequence 1, id 1: 2.5 is not a token id");
        bad(dir, "[1, 2", "tokens=FILE: not JSON");
        bad(dir, "[[1], 2]", "tokens=FILE: sequence 1: expected an array of token ids, got NUMBER");
    }

    @Test
    void checkNamesTooFewTokensAndIdsOutsideTheVocabulary(@TempDir Path dir) throws IOException {
        TokenFile t = file(dir, "1 2 3 4\n# skip\n5 6 7\n");
        t.check(TINY, 2, 3, "promptLen=3");
        assertMessage("tokens=FILE: sequence 1 (line 3) holds 3 ids; promptLen=3 with a decoded token needs 4 (too few tokens)",
                () -> t.check(TINY, 2, 4, "promptLen=3 with a decoded token"));
        assertMessage("tokens=FILE: holds 2 sequences; batch=3 needs 3", () -> t.check(TINY, 3, 1, "promptLen=1"));
        TokenFile big = file(dir, "1 2 300\n");
        assertMessage("tokens=FILE: the sequence (line 1): token id 300 is not allowed for model 'tiny': ids must be in 0..255"
                + " (its vocab 256; was the file tokenized for another model?)", () -> big.check(TINY, 1, 1, "promptLen=1"));
    }

    private static TokenFile file(Path dir, String content) throws IOException {
        Path f = dir.resolve("t" + content.hashCode() + ".txt");
        Files.writeString(f, content);
        return TokenFile.read(f, "tokens=FILE");
    }

    private static void bad(Path dir, String content, String expected) throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.deleteIfExists(f);
        if (content != null) {
            Files.writeString(f, content);
        }
        assertMessage(expected, () -> TokenFile.read(f, "tokens=FILE"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable body) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
        assertTrue(e.getMessage().startsWith(expected), "expected '" + expected + "' at the start of: " + e.getMessage());
    }
}
