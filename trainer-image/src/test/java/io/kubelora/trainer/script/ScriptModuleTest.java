package io.kubelora.trainer.script;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TorchScript module written from Java loads into libtorch, computes, and passes gradients back. */
class ScriptModuleTest {

    private static final String METHODS = """
              def scaled_sum(self: __torch__.Probe, a: Tensor, b: Tensor, s: Tensor) -> Tensor:
                return torch.add(a, torch.mul(b, s))
              def silu(self: __torch__.Probe, x: Tensor) -> Tensor:
                return torch.silu(x)
            """;

    @Test
    void methodsComputeWhatTheirSourceSays() {
        try (NDManager manager = NDManager.newBaseManager();
             ScriptModule module = ScriptModule.load("Probe", METHODS, manager)) {
            NDArray a = manager.create(new float[] {1, 2, 3});
            NDArray b = manager.create(new float[] {10, 20, 30});
            NDArray s = manager.create(0.5f);
            assertArrayEquals(new float[] {6, 12, 18}, module.call("scaled_sum", a, b, s).toFloatArray(), 0f);

            float[] x = {-2, -0.5f, 0, 0.5f, 2};
            float[] silu = module.call("silu", manager.create(x)).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i] / (1 + Math.exp(-x[i])), silu[i], 1e-6, "silu(" + x[i] + ")");
            }
        }
    }

    @Test
    void gradientsFlowBackThroughACall() {
        try (NDManager manager = NDManager.newBaseManager();
             ScriptModule module = ScriptModule.load("Probe", METHODS, manager)) {
            NDArray a = manager.create(new float[] {1, 2, 3});
            NDArray b = manager.create(new float[] {4, 5, 6});
            NDArray s = manager.create(3f);
            b.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = module.call("scaled_sum", a, b, s);            // a + 3 b
                collector.backward(y.mul(y).sum());                      // d/db = 2 (a + 3 b) * 3
            }
            assertArrayEquals(new float[] {78, 102, 126}, b.getGradient().toFloatArray(), 1e-4f);
        }
    }

    @Test
    void anUnknownMethodIsAClearError() {
        try (NDManager manager = NDManager.newBaseManager();
             ScriptModule module = ScriptModule.load("Probe", METHODS, manager)) {
            EngineException e = assertThrows(EngineException.class,
                    () -> module.call("missing", manager.zeros(new Shape(1))));
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> module.call("not a name", manager.zeros(new Shape(1))));
        }
    }

    @Test
    void invalidSourceIsReportedWhenLoading() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EngineException e = assertThrows(EngineException.class, () -> ScriptModule.load("Broken",
                    "  def f(self: __torch__.Broken, x: Tensor) -> Tensor:\n    return torch.no_such_op(x)\n",
                    manager));
            assertTrue(e.getMessage().contains("no_such_op"), e.getMessage());
        }
    }

    @Test
    void archiveLayoutIsWhatTorchJitLoadReads(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.pt");
        TorchScriptArchive.write(file, "Probe", METHODS);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            assertEquals(4, zip.size());
            for (String entry : new String[] {"probe/version", "probe/code/__torch__.py", "probe/data.pkl",
                    "probe/constants.pkl"}) {
                assertTrue(zip.getEntry(entry) != null, entry + " missing");
            }
            String source = new String(zip.getInputStream(zip.getEntry("probe/code/__torch__.py")).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(source.startsWith("class Probe(Module):\n"), source);
        }
        assertThrows(IllegalArgumentException.class, () -> TorchScriptArchive.write(file, "not-a-class", METHODS));
    }
}
