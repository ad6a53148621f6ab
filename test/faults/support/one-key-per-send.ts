import type { Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/**
 * The producer, but each send() carries one key's messages (sent one after another, in order), so
 * every produce request has a single partition and so a single leader.
 *
 * Why: kafkajs 2.2.4 loses records when a leader is lost during a send() that spans several leaders
 * (tulios/kafkajs#1303). Its retry resends only to brokers that have not answered yet; the lost
 * leader's partitions move to a broker that already answered for its own, so they are never sent,
 * and send() resolves as if they were written. Seen here: with one send for all four accounts, one
 * account's 125 events of a 500-event send were acknowledged and never reached the topic. A send of
 * one partition has nothing to skip: its retry goes to the new leader.
 */
export function oneKeyPerSend(producer: Producer): Producer {
  const send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    // A message without a key may go to any partition: it travels alone.
    const byKey = new Map<unknown, Message[]>();
    for (const message of record.messages) {
      const key = message.key === null || message.key === undefined ? message : String(message.key);
      const messages = byKey.get(key);
      if (messages) messages.push(message);
      else byKey.set(key, [message]);
    }
    const written: RecordMetadata[] = [];
    for (const messages of byKey.values()) written.push(...(await producer.send({ ...record, messages })));
    return written;
  };
  return new Proxy(producer, {
    get: (target, property, receiver) =>
      property === 'send' ? send : (Reflect.get(target, property, receiver) as unknown),
  });
}
