/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.EngineProbe;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.Workspace;

import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The engine beside a DJL too old for it: DJL 0.33.0, whose libtorch 2.5.1 lacks the C shim functions the
 * engine calls (the jars are copied to target/old-djl by this module's build). Starting the engine fails with
 * one EngineException naming both versions and what is missing, and DJL's PyTorch engine keeps working.
 */
public class OldDjlTest {

    @Test
    public void olderDjlGetsOneClearErrorAndPyTorchStillWorks() throws IOException {
        Path jars = Path.of(System.getProperty("djl.metal.old.djl", "target/old-djl"));
        List<String> old = new ArrayList<>();
        if (Files.isDirectory(jars)) {
            try (Stream<Path> files = Files.list(jars)) {
                files.filter(f -> f.toString().endsWith(".jar")).forEach(f -> old.add(f.toString()));
            }
        }
        if (old.size() != 4) {
            throw new SkipException("DJL 0.33.0's jars are not in " + jars + " (copied by mvn verify)");
        }
        // This JVM's class path with DJL's own jars swapped for 0.33.0's.
        List<String> classPath = new ArrayList<>(old);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String unix = entry.replace(File.separatorChar, '/');
            if (!unix.contains("/ai/djl/api/") && !unix.contains("/ai/djl/pytorch/")) {
                classPath.add(entry);
            }
        }
        Path dir = Workspace.newDirectory("old-djl-");
        Path report = dir.resolve("report.txt");
        PlainPyTorch.runChild(
                String.join(File.pathSeparator, classPath),
                List.of(EngineProbe.class.getName(), report.toString(), "Metal"),
                Map.of(),
                dir);
        String probe = Files.readString(report);
        Assert.assertTrue(
                probe.startsWith(
                        "error=Metal engine needs DJL 0.34 or later (libtorch 2.7 or later, with its C shim);"
                                + " this process has DJL 0.33.0 with libtorch 2.5.1: "),
                probe);
        Assert.assertTrue(probe.contains("lacks the C shim functions aoti_torch_new_tensor_handle"), probe);
        Assert.assertTrue(probe.endsWith("\npytorch=PyTorch"), probe);
    }
}
