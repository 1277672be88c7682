package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import knobs.kernels.checkpoint.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Models#resolve}: presets, folders, and what is neither. No natives. */
class ModelsTest {
    @TempDir
    Path root;

    @Test
    void presetsResolveToThemselves() {
        ModelSource s = Models.resolve("tiny-moe");
        assertSame(Presets.get("tiny-moe"), s.config());
        assertFalse(s.isCheckpoint());
        assertEquals("preset tiny-moe", s.describe());
        assertEquals(3, Models.resolveMoe("tiny-moe").withTopK(3).config().topK());
    }

    @Test
    void foldersResolveToTheirCheckpoint() {
        Path dir = TinyCheckpoints.write(root.resolve("mixtral"), "mixtral");
        ModelSource s = Models.resolveMoe(dir.toString());
        assertTrue(s.isCheckpoint());
        assertEquals(dir.toString(), s.config().name());
        assertEquals(4, s.config().experts());
        assertTrue(s.describe().startsWith("checkpoint " + dir + " (model_type mixtral, 1 file, "), s.describe());
        assertEquals(1, s.withTopK(1).config().topK());
        assertTrue(s.withTopK(1).isCheckpoint());
    }

    @Test
    void neitherIsAnErrorNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.resolve("llama-7b"));
        assertTrue(e.getMessage().startsWith("unknown model preset 'llama-7b'; known presets: tiny,"), e.getMessage());
        assertTrue(e.getMessage().contains("or a Hugging Face model folder") && e.getMessage().contains("./llama-7b"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Models.resolve(" ")).getMessage().contains("is empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Models.resolve("./a\0b")).getMessage()
                .contains("neither a preset nor a valid path"));
        Path missing = root.resolve("missing");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Models.resolve(missing.toString())).getMessage()
                .startsWith(missing + ": no such directory"));
    }

    @Test
    void moeKnobsRefuseDenseModelsOfEitherKind() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Models.resolveMoe("dense-cpu")).getMessage()
                .startsWith("model 'dense-cpu' is dense (no experts); allowed: an MoE preset: "));
        Path llama = TinyCheckpoints.write(root.resolve("llama"), "llama");
        String m = assertThrows(IllegalArgumentException.class, () -> Models.resolveMoe(llama.toString())).getMessage();
        assertTrue(m.contains("is dense") && m.contains("olmoe, mixtral or qwen2_moe"), m);
    }
}
