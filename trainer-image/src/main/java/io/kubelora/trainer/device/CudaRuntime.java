package io.kubelora.trainer.device;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The CUDA runtime API (libcudart) through JNA: device count with the runtime's own error text, device names,
 * memory, compute capability, and the peaks of the stream-ordered memory pool. Only C functions whose signatures
 * are stable across CUDA 11 to 13 are called. {@link #of(LibtorchBuild)} is the runtime libtorch itself loaded, so
 * answers describe the same CUDA state libtorch works with.
 */
final class CudaRuntime {

    static final int SUCCESS = 0;
    private static final int ATTRIBUTE_CAPABILITY_MAJOR = 75;
    private static final int ATTRIBUTE_CAPABILITY_MINOR = 76;
    // cudaMemPoolAttr values
    private static final int POOL_RESERVED_CURRENT = 5;
    private static final int POOL_RESERVED_HIGH = 6;
    private static final int POOL_USED_CURRENT = 7;
    private static final int POOL_USED_HIGH = 8;
    /** cudaDeviceProp is about 1 KiB in every CUDA version; its first field is char name[256]. */
    private static final int DEVICE_PROP_BYTES = 8192;

    private final NativeLibrary library;
    private final String origin;

    private CudaRuntime(NativeLibrary library, String origin) {
        this.library = library;
        this.origin = origin;
    }

    /** The CUDA runtime {@code libtorch} loaded (a CUDA build links it); empty for a CPU build. */
    static Optional<CudaRuntime> of(LibtorchBuild libtorch) {
        return Optional.ofNullable(libtorch.cudaRuntime()).flatMap(CudaRuntime::open);
    }

    /**
     * The runtime the dynamic loader finds under the plain name "cudart" (JNA also searches jna.library.path):
     * what DJL's own GPU count uses.
     */
    static Optional<CudaRuntime> byName() {
        try {
            return Optional.of(new CudaRuntime(NativeLibrary.getInstance("cudart"), "cudart"));
        } catch (UnsatisfiedLinkError e) {
            return Optional.empty();
        }
    }

    private static Optional<CudaRuntime> open(Path file) {
        try {
            return Optional.of(new CudaRuntime(NativeLibrary.getInstance(file.toString()), file.toString()));
        } catch (UnsatisfiedLinkError e) {
            return Optional.empty();
        }
    }

    /** The library file (or name) this runtime was loaded from. */
    String origin() {
        return library.getFile() != null ? library.getFile().toString() : origin;
    }

    /** A call's status and value; {@code error} is the runtime's text for a failed status. */
    record Answer(int status, long value, String error) {
        boolean ok() {
            return status == SUCCESS;
        }
    }

    Answer deviceCount() {
        IntByReference count = new IntByReference();
        return answer(call("cudaGetDeviceCount", count), count.getValue());
    }

    /** e.g. 12080 for CUDA 12.8. */
    Answer runtimeVersion() {
        IntByReference version = new IntByReference();
        return answer(call("cudaRuntimeGetVersion", version), version.getValue());
    }

    /** The newest CUDA version the installed driver supports; 0 when no driver is installed. */
    Answer driverVersion() {
        IntByReference version = new IntByReference();
        return answer(call("cudaDriverGetVersion", version), version.getValue());
    }

    String deviceName(int device) {
        Memory properties = new Memory(DEVICE_PROP_BYTES);
        properties.clear();
        String function = has("cudaGetDeviceProperties_v2") ? "cudaGetDeviceProperties_v2" : "cudaGetDeviceProperties";
        int status = call(function, properties, device);
        return status == SUCCESS ? properties.getString(0, StandardCharsets.UTF_8.name()) : "unknown (" + error(status) + ")";
    }

    /** Compute capability as major * 10 + minor (90 for 9.0), or -1. */
    int capability(int device) {
        IntByReference major = new IntByReference();
        IntByReference minor = new IntByReference();
        if (call("cudaDeviceGetAttribute", major, ATTRIBUTE_CAPABILITY_MAJOR, device) != SUCCESS
                || call("cudaDeviceGetAttribute", minor, ATTRIBUTE_CAPABILITY_MINOR, device) != SUCCESS) {
            return -1;
        }
        return major.getValue() * 10 + minor.getValue();
    }

    /** {free, total} bytes of a device (creates its CUDA context if there is none yet), or null. */
    long[] memoryInfo(int device) {
        IntByReference current = new IntByReference();
        if (call("cudaGetDevice", current) != SUCCESS || call("cudaSetDevice", device) != SUCCESS) {
            return null;
        }
        try {
            LongByReference free = new LongByReference();
            LongByReference total = new LongByReference();
            return call("cudaMemGetInfo", free, total) == SUCCESS ? new long[] {free.getValue(), total.getValue()}
                    : null;
        } finally {
            call("cudaSetDevice", current.getValue());
        }
    }

    /**
     * The device's default stream-ordered memory pool: {used now, used peak, reserved now, reserved peak} bytes,
     * or null. libtorch allocates from this pool when PYTORCH_CUDA_ALLOC_CONF selects backend:cudaMallocAsync.
     */
    long[] poolUsage(int device) {
        Pointer pool = defaultPool(device);
        if (pool == null) {
            return null;
        }
        long[] values = new long[4];
        int[] attributes = {POOL_USED_CURRENT, POOL_USED_HIGH, POOL_RESERVED_CURRENT, POOL_RESERVED_HIGH};
        for (int i = 0; i < attributes.length; i++) {
            LongByReference value = new LongByReference();
            if (call("cudaMemPoolGetAttribute", pool, attributes[i], value) != SUCCESS) {
                return null;
            }
            values[i] = value.getValue();
        }
        return values;
    }

    /** Restarts the pool's used and reserved peaks from their current values. */
    boolean resetPoolPeaks(int device) {
        Pointer pool = defaultPool(device);
        LongByReference zero = new LongByReference(0);
        return pool != null && call("cudaMemPoolSetAttribute", pool, POOL_USED_HIGH, zero) == SUCCESS
                && call("cudaMemPoolSetAttribute", pool, POOL_RESERVED_HIGH, zero) == SUCCESS;
    }

    private Pointer defaultPool(int device) {
        PointerByReference pool = new PointerByReference();
        return has("cudaDeviceGetDefaultMemPool") && call("cudaDeviceGetDefaultMemPool", pool, device) == SUCCESS
                ? pool.getValue() : null;
    }

    /** The runtime's text for a status, e.g. "CUDA driver version is insufficient for CUDA runtime version". */
    String error(int status) {
        Pointer text = (Pointer) function("cudaGetErrorString").invoke(Pointer.class, new Object[] {status});
        return text == null ? "CUDA error " + status : text.getString(0, StandardCharsets.UTF_8.name());
    }

    private Answer answer(int status, long value) {
        return new Answer(status, status == SUCCESS ? value : 0, status == SUCCESS ? null : error(status));
    }

    private boolean has(String name) {
        try {
            library.getFunction(name);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    private int call(String name, Object... arguments) {
        return function(name).invokeInt(arguments);
    }

    private Function function(String name) {
        return library.getFunction(name);
    }
}
