/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Reads and writes NumPy {@code .npy} files (little-endian, C order) as DJL arrays. */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** The raw contents of one {@code .npy} file. */
    public static final class Data {
        public final DataType type;
        public final Shape shape;
        public final ByteBuffer bytes;

        /**
         * Wraps raw contents.
         *
         * @param type the element type
         * @param shape the shape
         * @param bytes the elements in C order, native byte order (little-endian here)
         */
        public Data(DataType type, Shape shape, ByteBuffer bytes) {
            this.type = type;
            this.shape = shape;
            this.bytes = bytes;
        }

        /**
         * Describes how this differs from another array bit for bit.
         *
         * @param other the other array
         * @return {@code null} when dtype, shape and every byte are equal, otherwise the first difference
         */
        public String bitwiseDifference(Data other) {
            if (type != other.type || !shape.equals(other.shape)) {
                return type + shape.toString() + " vs " + other.type + other.shape;
            }
            ByteBuffer a = bytes.duplicate();
            ByteBuffer b = other.bytes.duplicate();
            a.rewind();
            b.rewind();
            int at = a.mismatch(b);
            if (at < 0) {
                return null;
            }
            int element = at / type.getNumOfBytes();
            return "first differing element " + element + " of " + shape.size();
        }

        /**
         * Returns the values widened to double.
         *
         * @return the values in C order
         */
        public double[] toDoubles() {
            ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = Math.toIntExact(shape.size());
            double[] out = new double[n];
            for (int i = 0; i < n; ++i) {
                switch (type) {
                    case FLOAT32:
                        out[i] = b.getFloat(4 * i);
                        break;
                    case FLOAT64:
                        out[i] = b.getDouble(8 * i);
                        break;
                    case INT64:
                        out[i] = b.getLong(8 * i);
                        break;
                    case BOOLEAN:
                        out[i] = b.get(i);
                        break;
                    default:
                        throw new IllegalStateException("no double view of " + type);
                }
            }
            return out;
        }
    }

    /**
     * Reads a file.
     *
     * @param path the {@code .npy} file
     * @return its contents
     * @throws IOException if the file cannot be read or is not a supported {@code .npy}
     */
    public static Data read(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException(path + " is not a .npy file");
        }
        int major = b.get();
        b.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] header = new byte[headerLength];
        b.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(h);
        Matcher fortran = FORTRAN.matcher(h);
        Matcher shape = SHAPE.matcher(h);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IOException(path + ": unreadable header " + h);
        }
        if ("True".equals(fortran.group(1))) {
            throw new IOException(path + ": Fortran order is not supported");
        }
        DataType type = typeOf(descr.group(1), path);
        long[] dims =
                Arrays.stream(shape.group(1).split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .mapToLong(Long::parseLong)
                        .toArray();
        Shape s = new Shape(dims);
        long expected = s.size() * type.getNumOfBytes();
        if (b.remaining() != expected) {
            throw new IOException(path + ": " + b.remaining() + " data bytes, expected " + expected);
        }
        ByteBuffer data = ByteBuffer.allocateDirect(b.remaining()).order(ByteOrder.nativeOrder());
        data.put(b);
        data.flip();
        return new Data(type, s, data);
    }

    /**
     * Reads a file into an array.
     *
     * @param manager the manager of the new array
     * @param path the {@code .npy} file
     * @return the array
     * @throws IOException if the file cannot be read
     */
    public static NDArray read(NDManager manager, Path path) throws IOException {
        Data d = read(path);
        return manager.create(d.bytes, d.shape, d.type);
    }

    /**
     * Writes an array.
     *
     * @param array the array (float16/32/64, int32/64, uint8 or boolean)
     * @param path the file to write
     * @throws IOException if the file cannot be written
     */
    public static void write(NDArray array, Path path) throws IOException {
        write(new Data(array.getDataType(), array.getShape(), array.toByteBuffer()), path);
    }

    /**
     * Writes raw contents.
     *
     * @param data the contents
     * @param path the file to write
     * @throws IOException if the file cannot be written
     */
    public static void write(Data data, Path path) throws IOException {
        String descr = descrOf(data.type);
        long[] dims = data.shape.getShape();
        String shape =
                dims.length == 1
                        ? dims[0] + ","
                        : Arrays.stream(dims)
                                .mapToObj(Long::toString)
                                .collect(Collectors.joining(", "));
        StringBuilder header =
                new StringBuilder("{'descr': '")
                        .append(descr)
                        .append("', 'fortran_order': False, 'shape': (")
                        .append(shape)
                        .append("), }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer bytes = data.bytes.duplicate();
        bytes.rewind();
        ByteBuffer out = ByteBuffer.allocate(10 + h.length + bytes.remaining());
        out.order(ByteOrder.LITTLE_ENDIAN).put(MAGIC).put((byte) 1).put((byte) 0);
        out.putShort((short) h.length).put(h).put(bytes);
        Files.write(path, out.array());
    }

    private static DataType typeOf(String descr, Path path) throws IOException {
        switch (descr) {
            case "<f4":
                return DataType.FLOAT32;
            case "<f8":
                return DataType.FLOAT64;
            case "<f2":
                return DataType.FLOAT16;
            case "<i8":
                return DataType.INT64;
            case "<i4":
                return DataType.INT32;
            case "|b1":
                return DataType.BOOLEAN;
            case "|u1":
                return DataType.UINT8;
            default:
                throw new IOException(path + ": unsupported dtype " + descr);
        }
    }

    private static String descrOf(DataType type) {
        switch (type) {
            case FLOAT32:
                return "<f4";
            case FLOAT64:
                return "<f8";
            case FLOAT16:
                return "<f2";
            case INT64:
                return "<i8";
            case INT32:
                return "<i4";
            case BOOLEAN:
                return "|b1";
            case UINT8:
                return "|u1";
            default:
                throw new IllegalArgumentException("cannot write " + type + " as .npy");
        }
    }
}
