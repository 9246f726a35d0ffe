/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/** Random test inputs, written as {@code .npy} files so that every JVM reads the same bytes. */
public final class RandomInputs {

    private final Random random;
    private final Path dir;

    /**
     * Creates a generator.
     *
     * @param seed the random seed
     * @param dir where files go
     */
    public RandomInputs(long seed, Path dir) {
        this.random = new Random(seed);
        this.dir = dir;
    }

    /**
     * Writes standard-normal float32 values.
     *
     * @param name file name without extension
     * @param shape the shape
     * @return the file
     */
    public Path normal(String name, long... shape) {
        Shape s = new Shape(shape);
        ByteBuffer b = buffer(s.size() * 4);
        for (long i = 0; i < s.size(); ++i) {
            b.putFloat((float) random.nextGaussian());
        }
        return save(name, DataType.FLOAT32, s, b);
    }

    /**
     * Writes a boolean mask (true = attend), about a quarter masked, with the given rows (indices into
     * the flattened leading dims) fully masked.
     *
     * @param name file name without extension
     * @param fullyMaskedRows rows with no key to attend to
     * @param shape the shape, last dim = keys
     * @return the file
     */
    public Path boolMask(String name, long[] fullyMaskedRows, long... shape) {
        Shape s = new Shape(shape);
        long keys = shape[shape.length - 1];
        ByteBuffer b = buffer(s.size());
        for (long i = 0; i < s.size(); ++i) {
            boolean masked = contains(fullyMaskedRows, i / keys) || random.nextInt(4) == 0;
            b.put((byte) (masked ? 0 : 1));
        }
        return save(name, DataType.BOOLEAN, s, b);
    }

    /**
     * Writes an additive float32 mask: small random biases, about a fifth {@code -inf}, the given rows
     * entirely {@code -inf}.
     *
     * @param name file name without extension
     * @param fullyMaskedRows rows with no key to attend to
     * @param shape the shape, last dim = keys
     * @return the file
     */
    public Path additiveMask(String name, long[] fullyMaskedRows, long... shape) {
        return additiveMask(name, fullyMaskedRows, Float.NEGATIVE_INFINITY, shape);
    }

    /**
     * Writes an additive float32 mask like {@link #additiveMask(String, long[], long...)}, with another
     * value for masked keys (Hugging Face models mask with {@code torch.finfo(dtype).min}).
     *
     * @param name file name without extension
     * @param fullyMaskedRows rows where every key is masked
     * @param maskedValue the value of a masked key
     * @param shape the shape, last dim = keys
     * @return the file
     */
    public Path additiveMask(String name, long[] fullyMaskedRows, float maskedValue, long... shape) {
        Shape s = new Shape(shape);
        long keys = shape[shape.length - 1];
        ByteBuffer b = buffer(s.size() * 4);
        for (long i = 0; i < s.size(); ++i) {
            boolean masked = contains(fullyMaskedRows, i / keys) || random.nextInt(5) == 0;
            b.putFloat(masked ? maskedValue : (float) random.nextGaussian());
        }
        return save(name, DataType.FLOAT32, s, b);
    }

    /**
     * Rewrites a float32 {@code .npy} file with one element, in flattened order, set to a value (a NaN or
     * an infinity, for the non-finite cases).
     *
     * @param file a float32 file written by this class
     * @param index the element
     * @param value its new value
     * @return the file
     * @throws IOException if the file cannot be read or written
     */
    public static Path withElement(Path file, long index, float value) throws IOException {
        Npy.Data data = Npy.read(file);
        if (data.type != DataType.FLOAT32) {
            throw new IllegalArgumentException(file + " is not float32");
        }
        data.bytes.order(ByteOrder.nativeOrder()).putFloat(Math.toIntExact(index * 4), value);
        Npy.write(data, file);
        return file;
    }

    private static boolean contains(long[] values, long v) {
        for (long x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static ByteBuffer buffer(long bytes) {
        return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
    }

    private Path save(String name, DataType type, Shape shape, ByteBuffer bytes) {
        bytes.flip();
        Path file = dir.resolve(name + ".npy");
        try {
            Npy.write(new Npy.Data(type, shape, bytes), file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
