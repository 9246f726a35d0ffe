/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * After every test of a JVM running on the fake Metal (surefire executions "metal-native" and "metal-auto"):
 * the fake preloaded into it recorded nothing that Metal
 * would reject or leave undefined (it appends each such violation to fake-metal-&lt;pid&gt;.txt in the
 * directory DJL_FAKE_METAL_REPORT names).
 */
public class FakeMetalReportTest {

    @Test(
            groups = "fake-metal-report",
            dependsOnGroups = {"metal-native", "metal-auto"},
            ignoreMissingDependencies = true,
            alwaysRun = true)
    public void fakeMetalRecordedNoViolations() throws IOException {
        String report = System.getenv("DJL_FAKE_METAL_REPORT");
        if (report == null) {
            throw new SkipException("DJL_FAKE_METAL_REPORT is not set: this JVM does not run on the fake Metal");
        }
        Path file = Paths.get(report, "fake-metal-" + ProcessHandle.current().pid() + ".txt");
        List<String> violations = Files.exists(file) ? Files.readAllLines(file) : List.of();
        Assert.assertTrue(violations.isEmpty(), "the fake Metal recorded: " + String.join("\n", violations));
    }
}
