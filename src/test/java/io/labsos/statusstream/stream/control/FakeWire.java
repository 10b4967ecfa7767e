package io.labsos.statusstream.stream.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A wire that keeps what was written; it can be told to be full, or to fail. */
final class FakeWire implements Outbox.Wire {

  final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final List<Integer> writes = new ArrayList<>();
  boolean full;
  boolean failing;
  int closed;
  int asked;

  /** Called inside ready() when full, as a container whose callback races the drainer. */
  Runnable onNotReady = () -> {};

  @Override
  public boolean ready() {
    asked++;
    if (full) {
      onNotReady.run();
    }
    return !full;
  }

  @Override
  public void write(byte[] data, int length) throws IOException {
    if (failing) {
      throw new IOException("Broken pipe");
    }
    bytes.write(data, 0, length);
    writes.add(length);
  }

  @Override
  public void close() {
    closed++;
  }

  String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
