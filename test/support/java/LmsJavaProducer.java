import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * An LMS service as the real ones are written: the official Java client (kafka-clients, the broker's
 * version) producing to lms.events. Run as a single source file, no build step:
 *
 *   java -cp "<kafka-clients, lz4-java, snappy-java, zstd-jni, slf4j-api, jackson jars>" LmsJavaProducer.java [scenario.json]
 *
 * The scenario (a file, or stdin when no file is given):
 *   { "bootstrap": "127.0.0.1:9092", "topic": "lms.events", "compression": "zstd", "idempotence": true,
 *     "config": { "linger.ms": "5" },                       // optional, for every producer
 *     "producers": { "A": { "transactional": true, "compression": "lz4", "idempotence": true, "config": {} } },
 *     "steps": [ { "op": "begin", "producer": "A" },
 *                { "op": "send", "producer": "A", "key": "1010", "value": "{…}", "headers": {"h": "v"}, "partition": 0 },
 *                { "op": "flush", "producer": "A" }, { "op": "abort", "producer": "A" }, { "op": "commit", "producer": "B" } ] }
 *
 * A step's producer defaults to "main"; a producer not listed under "producers" gets the defaults and
 * no transactions. "key": null sends a null key. Sends are asynchronous (records batch up, and are
 * compressed per batch) until a flush, commit or abort; abort flushes first, so an aborted
 * transaction's records are really in the log, behind its abort marker. For every acknowledged record
 * a line {"step":i,"producer":…,"partition":…,"offset":…} goes to stdout. Exits 0 only when every
 * record was acknowledged and every transaction step succeeded; otherwise prints the error, exits 1.
 */
public class LmsJavaProducer {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    JsonNode scenario;
    try (InputStream in = args.length > 0 ? Files.newInputStream(Path.of(args[0])) : System.in) {
      scenario = JSON.readTree(in);
    }
    Map<String, KafkaProducer<byte[], byte[]>> producers = new LinkedHashMap<>();
    List<Pending> pending = new ArrayList<>();
    int exit = 0;
    try {
      String topic = scenario.path("topic").asText();
      JsonNode steps = scenario.path("steps");
      for (int index = 0; index < steps.size(); index++) {
        JsonNode step = steps.get(index);
        String name = step.path("producer").asText("main");
        KafkaProducer<byte[], byte[]> producer = producers.get(name);
        if (producer == null) {
          producer = create(scenario, name);
          producers.put(name, producer);
        }
        String op = step.path("op").asText();
        switch (op) {
          case "send" -> pending.add(new Pending(index, name, producer.send(record(topic, step))));
          case "begin" -> producer.beginTransaction();
          case "commit" -> producer.commitTransaction();
          case "abort" -> {
            producer.flush();
            producer.abortTransaction();
          }
          case "flush" -> producer.flush();
          default -> throw new IllegalArgumentException("step " + index + ": unknown op '" + op + "'");
        }
      }
      for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.flush();
      for (Pending sent : pending) {
        RecordMetadata metadata = sent.future().get();
        ObjectNode line = JSON.createObjectNode();
        line.put("step", sent.step()).put("producer", sent.producer());
        line.put("partition", metadata.partition()).put("offset", metadata.offset());
        System.out.println(JSON.writeValueAsString(line));
      }
    } catch (Exception error) {
      System.err.println("LmsJavaProducer failed: " + error);
      exit = 1;
    } finally {
      for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.close();
    }
    System.exit(exit);
  }

  private record Pending(int step, String producer, Future<RecordMetadata> future) {}

  private static KafkaProducer<byte[], byte[]> create(JsonNode scenario, String name) {
    JsonNode spec = scenario.path("producers").path(name);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, scenario.path("bootstrap").asText("127.0.0.1:9092"));
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "lms-java-producer-" + name);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, spec.path("compression").asText(scenario.path("compression").asText("none")));
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, String.valueOf(spec.path("idempotence").asBoolean(scenario.path("idempotence").asBoolean(true))));
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    putAll(props, scenario.path("config"));
    putAll(props, spec.path("config"));
    boolean transactional = spec.path("transactional").asBoolean(false);
    if (transactional) {
      // Unique per run: a fixed id would fence (or wait on) a previous run's producer.
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lms-java-" + name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    if (transactional) producer.initTransactions();
    return producer;
  }

  private static void putAll(Properties props, JsonNode config) {
    for (Iterator<Map.Entry<String, JsonNode>> fields = config.properties().iterator(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      props.put(field.getKey(), field.getValue().asText());
    }
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, JsonNode step) {
    JsonNode key = step.path("key");
    JsonNode value = step.path("value");
    Integer partition = step.hasNonNull("partition") ? step.get("partition").asInt() : null;
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
        topic, partition, key.isTextual() ? bytes(key.asText()) : null, value.isTextual() ? bytes(value.asText()) : null);
    for (Iterator<Map.Entry<String, JsonNode>> headers = step.path("headers").properties().iterator(); headers.hasNext(); ) {
      Map.Entry<String, JsonNode> header = headers.next();
      record.headers().add(header.getKey(), bytes(header.getValue().asText()));
    }
    return record;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
