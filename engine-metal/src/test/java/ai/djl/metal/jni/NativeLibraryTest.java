/*
 * DJL Metal engine.
 */
package ai.djl.metal.jni;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.bytedeco.javacpp.Pointer;
import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

/**
 * The JNI libraries this build put beside {@link MetalLibrary}: each exports exactly the JNI entry points that
 * the Java classes declare as native methods (plus JNI_OnLoad and JNI_OnUnload), and the macOS one carries a
 * code signature whose page hashes match the file. A library this build did not produce is skipped, saying so.
 */
public class NativeLibraryTest {

    private static final String NM = System.getProperty("djl.metal.nm", "llvm-nm");

    /** The Linux library's exports against the native methods. */
    @Test
    public void linuxExportsAreTheJniEntryPoints() throws Exception {
        checkExports(library("linux-x86_64", "libjniMetalLibrary.so"), false);
    }

    /** The macOS library's exports against the native methods. */
    @Test
    public void macosExportsAreTheJniEntryPoints() throws Exception {
        checkExports(library("macosx-arm64", "libjniMetalLibrary.dylib"), true);
    }

    /** The macOS library's code signature covers the whole file up to itself, with matching hashes. */
    @Test
    public void macosLibraryIsSigned() throws Exception {
        CodeDirectory cd = CodeDirectory.read(library("macosx-arm64", "libjniMetalLibrary.dylib"));
        Assert.assertEquals(cd.hashType, 2, "hash type (2 is SHA-256)");
        Assert.assertTrue((cd.flags & 0x2) != 0, "ad-hoc signature flag");
        Assert.assertEquals(cd.codeLimit, cd.signatureOffset, "the signature must cover the file before it");
        int pages = (int) ((cd.codeLimit + cd.pageSize - 1) / cd.pageSize);
        Assert.assertEquals(cd.codeSlots, pages, "one hash per page");
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < pages; ++i) {
            int from = i * cd.pageSize;
            int to = (int) Math.min(from + (long) cd.pageSize, cd.codeLimit);
            sha256.update(cd.file, from, to - from);
            byte[] expected = Arrays.copyOfRange(cd.file, cd.hashes + i * 32, cd.hashes + (i + 1) * 32);
            Assert.assertEquals(sha256.digest(), expected, "hash of page " + i);
        }
    }

    /** The JNI names: a library's exports and what the Java classes declare must agree both ways. */
    @Test
    public void jniNamesFollowTheSpecification() throws Exception {
        Method allocate = MetalLibrary.LogFunction.class.getDeclaredMethod("allocate");
        Assert.assertEquals(
                shortName(allocate), "Java_ai_djl_metal_jni_MetalLibrary_00024LogFunction_allocate");
        Method put = Pointer.class.getMethod("put", Pointer.class);
        Assert.assertEquals(
                longName(put), "Java_org_bytedeco_javacpp_Pointer_put__Lorg_bytedeco_javacpp_Pointer_2");
        Assert.assertEquals(mangle("a_b;[c"), "a_1b_2_3c");
    }

    private static void checkExports(Path library, boolean macho) throws Exception {
        Set<String> exports = exports(library, macho);
        Set<String> declared = new HashSet<>();
        int ours = 0;
        for (Class<?> c : withNested(MetalLibrary.class)) {
            for (Method m : natives(c)) {
                ++ours;
                Assert.assertTrue(
                        exports.contains(shortName(m)) || exports.contains(longName(m)),
                        library + " does not export " + shortName(m));
                declared.add(shortName(m));
                declared.add(longName(m));
            }
        }
        Assert.assertTrue(ours > 0, "MetalLibrary declares native methods");
        for (Class<?> c : javacppClasses()) {
            for (Method m : natives(c)) {
                declared.add(shortName(m));
                declared.add(longName(m));
            }
        }
        Assert.assertTrue(exports.contains("JNI_OnLoad") && exports.contains("JNI_OnUnload"), "JNI_OnLoad/Unload");
        declared.add("JNI_OnLoad");
        declared.add("JNI_OnUnload");
        Set<String> extra = new TreeSet<>(exports);
        extra.removeAll(declared);
        Assert.assertTrue(extra.isEmpty(), library + " exports what no Java class declares: " + extra);
    }

    private static Path library(String platform, String name) throws URISyntaxException {
        URL url = MetalLibrary.class.getResource(platform + "/" + name);
        if (url == null || !"file".equals(url.getProtocol())) {
            throw new SkipException(
                    "this build made no " + platform + " library (built on " + System.getProperty("os.name")
                            + " " + System.getProperty("os.arch") + "; the Linux build makes both)");
        }
        return Paths.get(url.toURI());
    }

    /** Defined, exported symbol names, without Mach-O's leading underscore. */
    private static Set<String> exports(Path library, boolean macho) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(NM, "--defined-only", "--format=just-symbols"));
        command.add(macho ? "--extern-only" : "--dynamic");
        command.add(library.toString());
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(NM + " is needed to read " + library + " (see README, Building)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assert.assertTrue(p.waitFor(60, TimeUnit.SECONDS), NM + " timed out");
        Assert.assertEquals(p.exitValue(), 0, String.join(" ", command) + ":\n" + out);
        Set<String> names = new TreeSet<>();
        for (String line : out.split("\n")) {
            String name = line.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (macho) {
                Assert.assertTrue(name.startsWith("_"), "Mach-O symbol without underscore: " + name);
                name = name.substring(1);
            }
            names.add(name);
        }
        Assert.assertFalse(names.isEmpty(), NM + " listed no exports of " + library);
        return names;
    }

    private static List<Class<?>> withNested(Class<?> c) {
        List<Class<?>> all = new ArrayList<>(List.of(c));
        for (Class<?> nested : c.getDeclaredClasses()) {
            all.addAll(withNested(nested));
        }
        return all;
    }

    private static List<Method> natives(Class<?> c) {
        List<Method> found = new ArrayList<>();
        for (Method m : c.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers())) {
                found.add(m);
            }
        }
        return found;
    }

    /** Every class of JavaCPP's own package, whose natives the JNI glue implements some of. */
    private static List<Class<?>> javacppClasses() throws Exception {
        Path jar = Paths.get(Pointer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> classes = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : Collections.list(file.entries())) {
                String name = entry.getName();
                if (name.matches("org/bytedeco/javacpp/[^/]+\\.class")) {
                    String binary = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                    try {
                        classes.add(Class.forName(binary, false, NativeLibraryTest.class.getClassLoader()));
                    } catch (LinkageError | ClassNotFoundException e) {
                        // a class needing an optional dependency declares nothing the glue implements
                    }
                }
            }
        }
        Assert.assertTrue(classes.contains(Pointer.class), "JavaCPP's classes read from " + jar);
        return classes;
    }

    // JNI specification, "Resolving Native Method Names".
    static String shortName(Method m) {
        return "Java_" + mangle(m.getDeclaringClass().getName()) + "_" + mangle(m.getName());
    }

    static String longName(Method m) {
        StringBuilder descriptor = new StringBuilder();
        for (Class<?> p : m.getParameterTypes()) {
            descriptor.append(descriptor(p));
        }
        return shortName(m) + "__" + mangle(descriptor.toString());
    }

    private static String descriptor(Class<?> c) {
        if (c.isArray()) {
            return c.getName().replace('.', '/');
        }
        if (c == int.class) {
            return "I";
        } else if (c == long.class) {
            return "J";
        } else if (c == boolean.class) {
            return "Z";
        } else if (c == byte.class) {
            return "B";
        } else if (c == char.class) {
            return "C";
        } else if (c == short.class) {
            return "S";
        } else if (c == float.class) {
            return "F";
        } else if (c == double.class) {
            return "D";
        }
        return "L" + c.getName().replace('.', '/') + ";";
    }

    static String mangle(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '.' || c == '/') {
                b.append('_');
            } else if (c == '_') {
                b.append("_1");
            } else if (c == ';') {
                b.append("_2");
            } else if (c == '[') {
                b.append("_3");
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                b.append(c);
            } else {
                b.append(String.format("_0%04x", (int) c));
            }
        }
        return b.toString();
    }

    /** The parts of a Mach-O file's code signature this test checks. */
    private static final class CodeDirectory {
        byte[] file;
        long signatureOffset;
        long codeLimit;
        int pageSize;
        int codeSlots;
        int hashType;
        int flags;
        int hashes;

        static CodeDirectory read(Path library) throws IOException {
            CodeDirectory cd = new CodeDirectory();
            cd.file = Files.readAllBytes(library);
            ByteBuffer le = ByteBuffer.wrap(cd.file).order(ByteOrder.LITTLE_ENDIAN);
            Assert.assertEquals(le.getInt(0), 0xfeedfacf, "Mach-O 64-bit magic");
            int commands = le.getInt(16);
            int at = 32;
            int signature = -1;
            for (int i = 0; i < commands; ++i) {
                if (le.getInt(at) == 0x1d) { // LC_CODE_SIGNATURE
                    signature = le.getInt(at + 8);
                }
                at += le.getInt(at + 4);
            }
            Assert.assertTrue(signature > 0, library + " has no LC_CODE_SIGNATURE");
            cd.signatureOffset = signature;
            // The signature's blobs are big-endian.
            ByteBuffer be = ByteBuffer.wrap(cd.file).order(ByteOrder.BIG_ENDIAN);
            Assert.assertEquals(be.getInt(signature), 0xfade0cc0, "embedded signature magic");
            int blobs = be.getInt(signature + 8);
            int directory = -1;
            for (int i = 0; i < blobs; ++i) {
                int type = be.getInt(signature + 12 + 8 * i);
                if (type == 0) { // the code directory slot
                    directory = signature + be.getInt(signature + 16 + 8 * i);
                }
            }
            Assert.assertTrue(directory > 0, "no code directory in the signature");
            Assert.assertEquals(be.getInt(directory), 0xfade0c02, "code directory magic");
            cd.flags = be.getInt(directory + 12);
            cd.hashes = directory + be.getInt(directory + 16);
            cd.codeSlots = be.getInt(directory + 28);
            cd.codeLimit = Integer.toUnsignedLong(be.getInt(directory + 32));
            Assert.assertEquals(cd.file[directory + 36], 32, "hash size");
            cd.hashType = cd.file[directory + 37];
            cd.pageSize = 1 << cd.file[directory + 39];
            return cd;
        }
    }
}
