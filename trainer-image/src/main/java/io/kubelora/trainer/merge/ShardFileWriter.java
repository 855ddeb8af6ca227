package io.kubelora.trainer.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubelora.trainer.merge.ShardLayout.OutputTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes one safetensors shard as a stream of bytes: the header declaring every tensor (names, dtypes, shapes,
 * offsets and {@code "__metadata__": {"format": "pt"}}, which transformers requires) goes first, then each
 * tensor's data is appended in the declared order, in pieces of any size. Unlike the fp32-array writer of the
 * safetensors package this accepts raw bytes and partial tensors, so a merge never holds a whole tensor and
 * unchanged tensors are copied without conversion. The byte count of every tensor is checked.
 */
final class ShardFileWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final List<OutputTensor> tensors;
    private int current = -1;
    private long remainingInTensor;

    private ShardFileWriter(Path path, FileChannel channel, List<OutputTensor> tensors) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
    }

    /** Creates {@code path} (which must not exist) and writes its header. */
    static ShardFileWriter create(Path path, List<OutputTensor> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (OutputTensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().headerName());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + t.byteLength());
            offset += t.byteLength();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keeps the data section 8-byte aligned; padding is spaces
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            while (head.hasRemaining()) {
                channel.write(head);
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new ShardFileWriter(path, channel, List.copyOf(tensors));
    }

    Path path() {
        return path;
    }

    /** Starts the next declared tensor, which must be {@code name}; the previous one must be complete. */
    void beginTensor(String name) {
        requireComplete();
        if (current + 1 >= tensors.size() || !tensors.get(current + 1).name().equals(name)) {
            throw new IllegalStateException(path + ": tensor '" + name + "' is not the next one declared"
                    + (current + 1 < tensors.size() ? " ('" + tensors.get(current + 1).name() + "')" : ""));
        }
        current++;
        remainingInTensor = tensors.get(current).byteLength();
    }

    /** The channel to append the current tensor's bytes to; call {@link #wrote} with the count. */
    FileChannel channel() {
        return channel;
    }

    /** Appends all of {@code bytes} to the current tensor. */
    void write(ByteBuffer bytes) throws IOException {
        int n = bytes.remaining();
        checkRoom(n);
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        remainingInTensor -= n;
    }

    /** Accounts for {@code n} bytes appended directly through {@link #channel()}. */
    void wrote(long n) {
        checkRoom(n);
        remainingInTensor -= n;
    }

    /**
     * Closes the file; fails if a declared tensor is incomplete. No fsync: the merged folder is a staging area
     * that is published (copied or uploaded) afterwards, and syncing here tripled the merge time on network
     * disks for no gain in what the reader of the published model sees.
     */
    @Override
    public void close() throws IOException {
        try (channel) {
            requireComplete();
            if (current + 1 < tensors.size()) {
                throw new IllegalStateException(path + ": closed before tensor '" + tensors.get(current + 1).name()
                        + "' was written");
            }
        }
    }

    private void checkRoom(long n) {
        if (current < 0 || n > remainingInTensor) {
            String tensor = current < 0 ? "(none)" : tensors.get(current).name();
            throw new IllegalStateException(path + ": " + n + " bytes exceed what tensor '" + tensor + "' has left ("
                    + remainingInTensor + ")");
        }
    }

    private void requireComplete() {
        if (current >= 0 && remainingInTensor != 0) {
            throw new IllegalStateException(path + ": tensor '" + tensors.get(current).name() + "' is missing "
                    + remainingInTensor + " bytes");
        }
    }
}
