/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes hand-written TorchScript modules as loadable {@code .pt} archives (a zip of {@code
 * code/__torch__.py}, {@code data.pkl} with the module object, {@code constants.pkl} and {@code
 * version}), so that examples, benchmarks and tests need no Python. The modules have no parameters;
 * everything they compute comes from their inputs.
 */
public final class TorchScriptFile {

    private TorchScriptFile() {}

    /**
     * Writes a module whose {@code forward} has the given signature and body.
     *
     * @param file the archive to write
     * @param parameters the forward parameters after {@code self}, e.g. {@code "q: Tensor, k: Tensor"}
     * @param returnType e.g. {@code "Tuple[Tensor, Tensor]"}
     * @param body the body lines, without indentation
     * @return {@code file}
     * @throws IOException if the file cannot be written
     */
    public static Path write(Path file, String parameters, String returnType, List<String> body)
            throws IOException {
        StringBuilder code =
                new StringBuilder()
                        .append("class Module(Module):\n")
                        .append("  __parameters__ = []\n")
                        .append("  __buffers__ = []\n")
                        .append("  training : bool\n")
                        .append("  def forward(self: __torch__.Module, ")
                        .append(parameters)
                        .append(") -> ")
                        .append(returnType)
                        .append(":\n");
        for (String line : body) {
            code.append("    ").append(line).append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            put(zip, "archive/code/__torch__.py", code.toString().getBytes(StandardCharsets.UTF_8));
            put(zip, "archive/data.pkl", modulePickle());
            put(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            put(zip, "archive/version", "6\n".getBytes(StandardCharsets.US_ASCII));
        }
        return file;
    }

    // pickle protocol 2: __torch__.Module() with state {"training": False}
    private static byte[] modulePickle() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 2});
        b.writeBytes("c__torch__\nModule\n".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0});
        b.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {(byte) 0x89, 'u', 'b', '.'});
        return b.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }
}
