import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/**
 * Writes the record batches the codec unit tests decode, built by kafka-clients' own batch writer
 * (the code a Java producer runs), one file per compression type:
 *   java -cp "<kafka-clients, lz4-java, snappy-java, zstd-jni, slf4j-api jars>" KafkaBatchFixtures.java <dir>
 * <codec>.batch: the same three records (fixed timestamps, so every codec's records decode to the
 * same bytes as none.batch's); <codec>-bomb.batch: one 600 KiB record of one repeated byte.
 */
public class KafkaBatchFixtures {
  static final long BASE_OFFSET = 100L;
  static final long TIMESTAMP = 1727414643000L;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    // 70 KB of text that compresses but spans several snappy chunks (32 KiB) and lz4 blocks (64 KiB).
    StringBuilder long_ = new StringBuilder();
    for (int i = 0; long_.length() < 70_000; i++) long_.append("event ").append(i * 7919 % 10007).append(';');
    SimpleRecord[] records = {
      new SimpleRecord(TIMESTAMP, bytes("1010"), bytes("{\"n\":1}"),
          new Header[] {new RecordHeader("trace-id", bytes("abc")), new RecordHeader("trace-id", bytes("def"))}),
      new SimpleRecord(TIMESTAMP + 1, null, bytes("{\"n\":2}")),
      new SimpleRecord(TIMESTAMP + 2, bytes("not-the-account"), bytes(long_.toString())),
    };
    byte[] bomb = new byte[600 * 1024];
    Arrays.fill(bomb, (byte) 'a');
    for (String codec : new String[] {"none", "gzip", "snappy", "lz4", "zstd"}) {
      write(dir.resolve(codec + ".batch"), MemoryRecords.withRecords(BASE_OFFSET, Compression.of(codec).build(), records));
      if (!codec.equals("none")) {
        write(dir.resolve(codec + "-bomb.batch"),
            MemoryRecords.withRecords(BASE_OFFSET, Compression.of(codec).build(), new SimpleRecord(TIMESTAMP, null, bomb)));
      }
    }
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static void write(Path file, MemoryRecords records) throws Exception {
    ByteBuffer buffer = records.buffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    Files.write(file, out);
  }
}
