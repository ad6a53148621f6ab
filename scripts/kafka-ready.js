// Readiness probe for scripts/kafka.sh: succeeds once a kafkajs admin can list topics.
// Plain JavaScript on purpose: it runs before anything is compiled.
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const broker = process.argv[2] || '127.0.0.1:9092';
  const admin = new Kafka({
    clientId: 'kafka-ready',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[kafka] not ready yet: ${err.message}`);
    process.exit(1);
  },
);
