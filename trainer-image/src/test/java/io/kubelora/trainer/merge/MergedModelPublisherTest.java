package io.kubelora.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MergedModelPublisherTest {

    @Test
    void splitsADestinationIntoItsParentAndTheFolderToCreate() {
        assertArrayEquals(new String[] {"s3://bucket/runs", "merged"},
                MergedModelPublisher.splitParent("s3://bucket/runs/merged/"));
        assertArrayEquals(new String[] {"s3://bucket", "merged"},
                MergedModelPublisher.splitParent("s3://bucket/merged"));
        assertArrayEquals(new String[] {"pvc://claim/a", "b"}, MergedModelPublisher.splitParent("pvc://claim/a/b"));
        assertArrayEquals(new String[] {"/data", "merged"}, MergedModelPublisher.splitParent("/data/merged"));
        assertArrayEquals(new String[] {"/", "merged"}, MergedModelPublisher.splitParent("/merged"));
        assertArrayEquals(new String[] {".", "merged"}, MergedModelPublisher.splitParent("merged"));
        assertArrayEquals(new String[] {"./out", "merged"}, MergedModelPublisher.splitParent("./out/merged"));
    }

    @Test
    void refusesDestinationsThatNameNoFolder() {
        for (String bad : new String[] {"s3://bucket", "s3://bucket/", "pvc://claim", "/", "out/..", "."}) {
            assertThrows(IllegalArgumentException.class, () -> MergedModelPublisher.splitParent(bad), bad);
        }
    }
}
