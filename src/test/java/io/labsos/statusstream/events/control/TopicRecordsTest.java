package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class TopicRecordsTest {

  private static final UUID PROJECT = UUID.fromString("5c1a8f0e-3d2b-4c7a-9e11-2b3c4d5e6f70");
  private static final StatusEvent EVENT =
      new StatusEvent(
          PROJECT,
          1_796_619_381_625_817L,
          1_796_619_381_625_816L,
          "{\"type\":\"status_update\",\"status\":\"ready\"}",
          Instant.parse("2026-12-07T04:50:10.123456Z"));

  /** What a consumer gets for what the relay sent. */
  private static ConsumerRecord<byte[], byte[]> received(ProducerRecord<byte[], byte[]> sent) {
    return new ConsumerRecord<>(
        sent.topic(),
        sent.partition() == null ? 0 : sent.partition(),
        42,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        sent.key(),
        sent.value(),
        sent.headers(),
        java.util.Optional.empty());
  }

  private static ConsumerRecord<byte[], byte[]> forged(
      String key, String value, String... headers) {
    var all = new RecordHeaders();
    for (int i = 0; i < headers.length; i += 2) {
      all.add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return new ConsumerRecord<>(
        "t",
        0,
        0,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        all,
        java.util.Optional.empty());
  }

  @Test
  void anEntryArrivesAsItWasSentKeyedByItsProject() {
    var sent = TopicRecords.entry("t", EVENT);
    assertThat(new String(sent.key(), StandardCharsets.UTF_8)).isEqualTo(PROJECT.toString());
    assertThat(TopicRecords.event(received(sent))).isEqualTo(EVENT);
    assertThat(TopicRecords.isTick(received(sent))).isFalse();
  }

  @Test
  void aTickIsNoEntry() {
    var tick = received(TopicRecords.tick("t", 3, "relay-a"));
    assertThat(TopicRecords.isTick(tick)).isTrue();
    assertThat(TopicRecords.event(tick)).isNull();
  }

  @Test
  void recordsThatAreNotTheRelaysAreNeverEntries() {
    var json = "{\"type\":\"status_update\"}";
    var id = "7";
    assertThat(
            TopicRecords.event(
                forged(
                    "not-a-uuid",
                    json,
                    "id",
                    id,
                    "prev_id",
                    "6",
                    "created_at",
                    "2026-12-07T00:00:00Z")))
        .isNull();
    assertThat(
            TopicRecords.event(
                forged(
                    PROJECT.toString(),
                    json,
                    "prev_id",
                    "6",
                    "created_at",
                    "2026-12-07T00:00:00Z")))
        .as("no id")
        .isNull();
    assertThat(
            TopicRecords.event(
                forged(
                    PROJECT.toString(),
                    json,
                    "id",
                    "x",
                    "prev_id",
                    "6",
                    "created_at",
                    "2026-12-07T00:00:00Z")))
        .as("an id that is no number")
        .isNull();
    assertThat(
            TopicRecords.event(
                forged(
                    PROJECT.toString(),
                    json,
                    "id",
                    "7",
                    "prev_id",
                    "7",
                    "created_at",
                    "2026-12-07T00:00:00Z")))
        .as("its own predecessor")
        .isNull();
    assertThat(
            TopicRecords.event(
                forged(
                    PROJECT.toString(),
                    json,
                    "id",
                    "7",
                    "prev_id",
                    "6",
                    "created_at",
                    "yesterday")))
        .as("no time")
        .isNull();
    assertThat(
            TopicRecords.event(
                forged(
                    PROJECT.toString(),
                    null,
                    "id",
                    "7",
                    "prev_id",
                    "6",
                    "created_at",
                    "2026-12-07T00:00:00Z")))
        .as("no payload")
        .isNull();
  }

  @Test
  void aPayloadThatWouldBreakTheStreamsFramingIsRefused() {
    for (var payload : new String[] {"{}\n\ndata: {\"type\":\"forged\"}", "{}\rid: 9"}) {
      assertThat(
              TopicRecords.event(
                  forged(
                      PROJECT.toString(),
                      payload,
                      "id",
                      "7",
                      "prev_id",
                      "6",
                      "created_at",
                      "2026-12-07T00:00:00Z")))
          .isNull();
    }
  }
}
