package io.kubelora.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceRequestTest {

    @Test
    void parsesCpuCudaAndCudaN() {
        DeviceRequest cpu = DeviceRequest.parse("cpu", "--device", "hint");
        assertFalse(cpu.wantsGpu());
        assertEquals("--device cpu", cpu.because());
        assertEquals(0, cpu.gpusNeeded());

        DeviceRequest cuda = DeviceRequest.parse("cuda", "--device", "hint");
        assertEquals(0, cuda.cudaIndex());
        assertEquals(1, cuda.gpusNeeded());
        assertEquals("cuda:0", cuda.deviceName());

        DeviceRequest third = DeviceRequest.parse("cuda:2", "--device", "pass --device cpu");
        assertEquals(2, third.cudaIndex());
        assertEquals(3, third.gpusNeeded(), "device 2 exists only when 3 are visible");
        assertEquals("--device cuda:2", third.because());
        assertEquals("pass --device cpu", third.otherwise());
    }

    @Test
    void anythingElseIsAnErrorNamingTheOption() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:x", "CUDA", "", "cuda:-1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DeviceRequest.parse(bad, "--device", ""), bad);
            assertTrue(e.getMessage().startsWith("--device must be cpu, cuda or cuda:N, got '" + bad + "'"),
                    e.getMessage());
        }
    }

    @Test
    void aRunsGpuCountBecomesCpuOrAllOfItsGpus() {
        DeviceRequest none = DeviceRequest.gpus(0, "resources.gpus is 0", "hint");
        assertFalse(none.wantsGpu());
        DeviceRequest four = DeviceRequest.gpus(4, "resources.gpus is 4", "hint");
        assertEquals(0, four.cudaIndex());
        assertEquals(4, four.gpusNeeded(), "every GPU of the run must be usable");
        assertEquals(4, four.replicas(), "one data-parallel replica per GPU");
        assertEquals("cuda:0 to cuda:3", four.deviceName());
        assertEquals(1, none.replicas());
        assertThrows(IllegalArgumentException.class, () -> DeviceRequest.gpus(-1, "x", "y"));
    }

    @Test
    void replicasAreThreadsOnTheCpuOrOnePerGpuFromTheFirst() {
        DeviceRequest cpu = DeviceRequest.cpu("resources.gpus is 0").withReplicas(3, "--replicas 3");
        assertEquals(3, cpu.replicas());
        assertFalse(cpu.wantsGpu());
        assertEquals(0, cpu.gpusNeeded());
        assertEquals("resources.gpus is 0, --replicas 3", cpu.because());

        DeviceRequest second = DeviceRequest.parse("cuda:1", "--device", "hint").withReplicas(2, "--replicas 2");
        assertEquals(3, second.gpusNeeded(), "cuda:1 and cuda:2 must be usable");
        assertEquals("cuda:1 to cuda:2", second.deviceName());

        DeviceRequest fewer = DeviceRequest.gpus(8, "the pod has 8 GPU(s)", "hint").withReplicas(2, "--replicas 2");
        assertEquals(2, fewer.replicas());
        assertEquals(8, fewer.gpusNeeded(), "the pod's GPUs must still all be usable");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceRequest.cpu("x").withReplicas(0, "--replicas 0"));
        assertEquals("--replicas must be at least 1, got 0", e.getMessage());
    }
}
