package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The records of the topic, one format for the relay that writes them and the instances that read
 * them (docs/scaling.md describes it for other consumers).
 *
 * <ul>
 *   <li>An entry of the log: key the project id (36 characters, so the default partitioner keeps a
 *       project in one partition, in order), value the payload as clients receive it (UTF-8 JSON),
 *       headers {@code id}, {@code prev_id} (decimal) and {@code created_at} (ISO-8601).
 *   <li>A tick: no key, no value, header {@code tick} naming the relay, sent to every partition
 *       every second, so that an instance can tell a quiet topic from a relay that is gone.
 * </ul>
 */
final class TopicRecords {

  static final String ID = "id";
  static final String PREV_ID = "prev_id";
  static final String CREATED_AT = "created_at";
  static final String TICK = "tick";

  private TopicRecords() {}

  static ProducerRecord<byte[], byte[]> entry(String topic, StatusEvent event) {
    var headers =
        new RecordHeaders(
            new Header[] {
              header(ID, Long.toString(event.id())),
              header(PREV_ID, Long.toString(event.prevId())),
              header(CREATED_AT, event.createdAt().toString())
            });
    return new ProducerRecord<>(
        topic, null, bytes(event.projectId().toString()), bytes(event.json()), headers);
  }

  static ProducerRecord<byte[], byte[]> tick(String topic, int partition, String relay) {
    var headers = new RecordHeaders(new Header[] {header(TICK, relay)});
    return new ProducerRecord<byte[], byte[]>(topic, partition, null, null, headers);
  }

  static boolean isTick(ConsumerRecord<byte[], byte[]> record) {
    return record.key() == null && record.headers().lastHeader(TICK) != null;
  }

  /**
   * The entry a record carries; null when it is not one of ours (a tick, or something another
   * writer put on the topic): never a payload that could break a stream's framing.
   */
  static StatusEvent event(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null || record.value() == null) {
      return null;
    }
    try {
      var project = UUID.fromString(new String(record.key(), StandardCharsets.UTF_8));
      long id = Long.parseLong(text(record, ID));
      long prevId = Long.parseLong(text(record, PREV_ID));
      var createdAt = Instant.parse(text(record, CREATED_AT));
      var json = new String(record.value(), StandardCharsets.UTF_8);
      if (id <= 0 || prevId < 0 || prevId >= id || json.isEmpty() || !oneLine(json)) {
        return null;
      }
      return new StatusEvent(project, id, prevId, json, createdAt);
    } catch (IllegalArgumentException | NullPointerException | DateTimeParseException e) {
      return null;
    }
  }

  private static boolean oneLine(String json) {
    return json.indexOf('\n') < 0 && json.indexOf('\r') < 0;
  }

  private static String text(ConsumerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, bytes(value));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
