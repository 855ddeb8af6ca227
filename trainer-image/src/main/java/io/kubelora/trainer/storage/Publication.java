package io.kubelora.trainer.storage;

/**
 * A folder being written as one unit: files are added one by one, and nothing is visible as complete until
 * {@link #commit()}. Closing an uncommitted publication abandons it and removes what it wrote.
 */
public interface Publication extends AutoCloseable {

    /** Adds {@code localFile} at {@code relativePath} (slash-separated, no {@code ..}) inside the folder. */
    void addFile(String relativePath, java.nio.file.Path localFile);

    /** Makes the whole folder visible atomically / marks it complete; returns its final URI. */
    String commit();

    /** Abandons an uncommitted publication (a no-op after {@link #commit()}). */
    @Override
    void close();
}
