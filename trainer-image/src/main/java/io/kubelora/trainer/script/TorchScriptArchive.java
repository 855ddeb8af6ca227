package io.kubelora.trainer.script;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive (what {@code torch.jit.save} writes) for a module with no parameters or buffers,
 * only methods, so that libtorch ops DJL does not expose (scaled_dot_product_attention, rms_norm, silu, bf16
 * casts that keep the autograd graph, dtype views) can be reached from Java without Python at build or run time.
 *
 * <p>The archive is a zip (entries stored, not deflated) whose entries share one top folder:
 * <ul>
 *   <li>{@code version}: the file format version, 10 = the newest libtorch 2.7 reads, so no operator upgrader
 *       rewrites the methods' calls to an older semantics;</li>
 *   <li>{@code code/__torch__.py}: the class definition in TorchScript's serialized source form;</li>
 *   <li>{@code data.pkl}: a protocol-2 pickle of the module object, that is the class plus its one attribute
 *       {@code training};</li>
 *   <li>{@code constants.pkl}: a pickle of the empty constants tuple.</li>
 * </ul>
 */
public final class TorchScriptArchive {

    private static final Pattern CLASS_NAME = Pattern.compile("[A-Z][A-Za-z0-9]*");
    private static final String FILE_FORMAT_VERSION = "10\n";

    private TorchScriptArchive() {
    }

    /**
     * Writes the archive of module class {@code className} with the given method definitions to {@code file}.
     *
     * @param methods TorchScript {@code def} blocks indented by four spaces, each taking
     *                {@code self: __torch__.<className>} first
     */
    public static void write(Path file, String className, String methods) throws IOException {
        if (!CLASS_NAME.matcher(className).matches()) {
            throw new IllegalArgumentException("not a TorchScript class name: " + className);
        }
        String source = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + methods.stripTrailing() + "\n";
        String folder = className.toLowerCase(Locale.ROOT) + "/";
        try (OutputStream out = Files.newOutputStream(file);
             ZipOutputStream zip = new ZipOutputStream(out)) {
            store(zip, folder + "version", FILE_FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
            store(zip, folder + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            store(zip, folder + "data.pkl", modulePickle(className));
            store(zip, folder + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // PROTO 2, (), STOP
        }
    }

    /** PROTO 2, GLOBAL __torch__.className, (), NEWOBJ, {"training": False}, BUILD, STOP. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(0x80);
        pickle.write(2);
        pickle.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        pickle.write(')'); // EMPTY_TUPLE: the constructor's arguments
        pickle.write(0x81); // NEWOBJ
        pickle.write('}'); // EMPTY_DICT: the object's state
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        pickle.write('X'); // BINUNICODE, 4-byte little-endian length
        pickle.write(key.length);
        pickle.write(0);
        pickle.write(0);
        pickle.write(0);
        pickle.writeBytes(key);
        pickle.write(0x89); // NEWFALSE
        pickle.write('s'); // SETITEM
        pickle.write('b'); // BUILD
        pickle.write('.'); // STOP
        return pickle.toByteArray();
    }

    private static void store(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(bytes.length);
        entry.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(bytes);
        zip.closeEntry();
    }
}
