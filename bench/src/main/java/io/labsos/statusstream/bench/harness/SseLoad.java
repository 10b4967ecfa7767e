package io.labsos.statusstream.bench.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * Many SSE subscribers on a few non-blocking selector threads. Each received event whose payload
 * carries a writer's scheduled time ({@code "b:<epoch micros>"}) records its latency. A stream of
 * several projects ({@link #openSeveral}) is read as its clients read it: each event is attributed
 * to the project its {@code projectId} names, which must be one the stream asked for; each frame's
 * {@code id} is an opaque cursor, of which only the length is noted.
 */
public final class SseLoad implements AutoCloseable {

  private static final byte[] MARK = "\"b:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONNECTED = "\"connected\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PROJECT_ID = "\"projectId\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final int UUID_LENGTH = 36;

  private final InetSocketAddress server;
  private final List<Loop> loops = new ArrayList<>();
  private final Recorder latency = new Recorder(3);
  public final LongAdder connected = new LongAdder();
  public final LongAdder received = new LongAdder();

  /** Streams closed, refused ones included. */
  public final LongAdder closed = new LongAdder();

  /** Streams closed after they connected. */
  private final LongAdder lost = new LongAdder();

  /**
   * Events on a stream of several projects that name no project, or one the stream did not ask for.
   */
  public final LongAdder foreign = new LongAdder();

  /** The longest frame id (a cursor, on a stream of several projects) seen, in characters. */
  private final AtomicLong longestId = new AtomicLong();

  /** Told of every timed event as it is parsed, while set. */
  private volatile TimedArrivals arrivals;

  private final AtomicLong firstArrival = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastArrival = new AtomicLong(Long.MIN_VALUE);
  private int next;

  public SseLoad(InetSocketAddress server, int threads) throws IOException {
    this.server = server;
    for (int i = 0; i < threads; i++) {
      var loop = new Loop();
      loops.add(loop);
      var thread = new Thread(loop, "sse-load-" + i);
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** Opens one stream; {@code stall} never reads from it (a client that stopped reading). */
  public void open(String path, String token, boolean stall) throws IOException {
    open(path, token, stall, null);
  }

  /** Opens one stream of several projects ({@code GET /api/status?project=...}). */
  public void openSeveral(List<UUID> projects, String token) throws IOException {
    var path = new StringBuilder("/api/status");
    var names = new HashSet<String>();
    for (var project : projects) {
      path.append(names.isEmpty() ? '?' : '&').append("project=").append(project);
      names.add(project.toString());
    }
    open(path.toString(), token, false, names);
  }

  /**
   * @param projects the projects a stream of several asked for, by their canonical (lower-case)
   *     text; null for a stream of one
   */
  private void open(String path, String token, boolean stall, Set<String> projects)
      throws IOException {
    var request =
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer "
                + token
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    var channel = SocketChannel.open();
    channel.configureBlocking(false);
    if (stall) {
      channel.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
    }
    channel.connect(server);
    var loop = loops.get(next++ % loops.size());
    loop.pending.add(new Conn(channel, ByteBuffer.wrap(request), stall, projects));
    loop.selector.wakeup();
  }

  /**
   * Streams connected and still open. Not {@code connected - closed}: a refused stream never
   * connected, and when its server closes it (at once, or on an idle timer) is the server's
   * business.
   */
  public long held() {
    return connected.sum() - lost.sum();
  }

  /** Streams that connected and were closed since (by the server, or by a failed read). */
  public long lost() {
    return lost.sum();
  }

  /** The longest frame id seen so far, in characters (0: none). */
  public long longestId() {
    return longestId.get();
  }

  /** Told of each timed event one stream received. */
  public interface TimedArrivals {
    /**
     * @param scheduledMicros the scheduled time the event carries
     * @param arrivedMicros when the load generator parsed it, in epoch µs
     */
    void arrived(long scheduledMicros, long arrivedMicros);
  }

  /** Tells {@code listener} of every timed event from now on; null stops that. */
  public void onArrival(TimedArrivals listener) {
    arrivals = listener;
  }

  /** Latencies recorded since the last call, in microseconds. */
  public org.HdrHistogram.Histogram takeLatency() {
    return latency.getIntervalHistogram();
  }

  /** When the first and the last timed event arrived, in epoch µs. */
  public record Arrivals(long firstMicros, long lastMicros) {
    public double seconds() {
      return lastMicros > firstMicros ? (lastMicros - firstMicros) / 1e6 : Double.NaN;
    }
  }

  /** The arrivals since the last call. */
  public Arrivals takeArrivals() {
    return new Arrivals(
        firstArrival.getAndSet(Long.MAX_VALUE), lastArrival.getAndSet(Long.MIN_VALUE));
  }

  /** Closes every stream (a plain close, as a browser tab leaves). */
  @Override
  public void close() {
    for (var loop : loops) {
      loop.stop = true;
      loop.selector.wakeup();
    }
  }

  public static long nowMicros() {
    var now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }

  private static final class Conn {
    final SocketChannel channel;
    final ByteBuffer request;
    final boolean stall;

    /** The projects of a stream of several, canonical text; null for a stream of one. */
    final Set<String> projects;

    byte[] line = new byte[256];
    int length;
    boolean seenConnected;

    /** Past the response headers; the body in chunked transfer encoding. */
    boolean inBody;

    boolean chunked;

    /** Chunked body: bytes left of the current chunk, or -1 while reading a size line. */
    int chunkLeft = -1;

    /** Chunked body: the size line read so far; the CRLF after a chunk's data still to skip. */
    int chunkSize;

    boolean sizeDone;
    int skip;

    Conn(SocketChannel channel, ByteBuffer request, boolean stall, Set<String> projects) {
      this.channel = channel;
      this.request = request;
      this.stall = stall;
      this.projects = projects;
    }
  }

  private final class Loop implements Runnable {
    final Selector selector;
    final Queue<Conn> pending = new ConcurrentLinkedQueue<>();
    final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
    final byte[] bytes = new byte[256 * 1024];
    volatile boolean stop;

    Loop() throws IOException {
      selector = Selector.open();
    }

    @Override
    public void run() {
      try {
        while (!stop) {
          selector.select(100);
          Conn conn;
          while ((conn = pending.poll()) != null) {
            conn.channel.register(selector, SelectionKey.OP_CONNECT, conn);
          }
          var keys = selector.selectedKeys().iterator();
          while (keys.hasNext()) {
            var key = keys.next();
            keys.remove();
            handle(key);
          }
        }
        for (var key : selector.keys()) {
          key.channel().close();
        }
        selector.close();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void handle(SelectionKey key) {
      var conn = (Conn) key.attachment();
      try {
        if (key.isConnectable()) {
          conn.channel.finishConnect();
          while (conn.request.hasRemaining()) {
            conn.channel.write(conn.request);
          }
          key.interestOps(conn.stall ? 0 : SelectionKey.OP_READ);
          if (conn.stall) {
            connected.increment();
          }
          return;
        }
        if (key.isReadable()) {
          buffer.clear();
          int n = conn.channel.read(buffer);
          if (n < 0) {
            drop(key);
            return;
          }
          buffer.flip();
          buffer.get(bytes, 0, n);
          lines(conn, n);
        }
      } catch (IOException e) {
        drop(key);
      }
    }

    private void drop(SelectionKey key) {
      key.cancel();
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // gone
      }
      closed.increment();
      var conn = (Conn) key.attachment();
      if (conn.stall || conn.seenConnected) {
        lost.increment();
      }
    }

    /**
     * Feeds what was read to the event parser: the body only, without the chunked transfer
     * encoding's framing (a server may split a write into chunks anywhere, also inside a line).
     */
    private void lines(Conn conn, int n) {
      for (int i = 0; i < n; i++) {
        byte b = bytes[i];
        if (!conn.inBody) {
          header(conn, b);
        } else if (!conn.chunked) {
          body(conn, b);
        } else if (conn.skip > 0) {
          conn.skip--;
        } else if (conn.chunkLeft > 0) {
          body(conn, b);
          if (--conn.chunkLeft == 0) {
            conn.skip = 2; // the CRLF after the chunk's data
            conn.chunkLeft = -1;
          }
        } else if (b == '\n') {
          conn.chunkLeft = conn.chunkSize; // 0: the last chunk, nothing follows
          conn.chunkSize = 0;
          conn.sizeDone = false;
        } else if (!conn.sizeDone) {
          int digit = Character.digit(b, 16);
          if (digit >= 0) {
            conn.chunkSize = conn.chunkSize * 16 + digit;
          } else {
            conn.sizeDone = true; // CR, or a chunk extension
          }
        }
      }
    }

    private void header(Conn conn, byte b) {
      if (b != '\n') {
        append(conn, b);
        return;
      }
      var header = new String(conn.line, 0, conn.length, StandardCharsets.US_ASCII).strip();
      conn.length = 0;
      if (header.isEmpty()) {
        conn.inBody = true;
      } else if (header.toLowerCase(Locale.ROOT).startsWith("transfer-encoding:")
          && header.toLowerCase(Locale.ROOT).contains("chunked")) {
        conn.chunked = true;
      }
    }

    private void body(Conn conn, byte b) {
      if (b == '\n') {
        line(conn);
        conn.length = 0;
      } else {
        append(conn, b);
      }
    }

    /** Adds a byte to the line being read, growing its buffer when full. */
    private static void append(Conn conn, byte b) {
      if (conn.length == conn.line.length) {
        conn.line = java.util.Arrays.copyOf(conn.line, conn.length * 2);
      }
      conn.line[conn.length++] = b;
    }

    private void line(Conn conn) {
      byte[] l = conn.line;
      int len = conn.length;
      if (len >= 3 && l[0] == 'i' && l[1] == 'd' && l[2] == ':') {
        // Opaque: what a client keeps to resume with (Last-Event-ID); only its length is noted.
        int length = len - (len > 3 && l[3] == ' ' ? 4 : 3) - (l[len - 1] == '\r' ? 1 : 0);
        if (length > longestId.get()) {
          longestId.accumulateAndGet(length, Math::max);
        }
        return;
      }
      if (len < 6 || l[0] != 'd' || l[1] != 'a' || l[4] != ':') {
        return;
      }
      int at = indexOf(l, len, MARK);
      if (at >= 0 && conn.projects != null && !named(conn, l, len)) {
        foreign.increment();
      }
      if (at >= 0) {
        long scheduled = 0;
        for (int i = at + MARK.length; i < len && l[i] >= '0' && l[i] <= '9'; i++) {
          scheduled = scheduled * 10 + (l[i] - '0');
        }
        long now = nowMicros();
        latency.recordValue(Math.max(0, now - scheduled));
        received.increment();
        var listener = arrivals;
        if (listener != null) {
          listener.arrived(scheduled, now);
        }
        if (now < firstArrival.get()) {
          firstArrival.accumulateAndGet(now, Math::min);
        }
        if (now > lastArrival.get()) {
          lastArrival.accumulateAndGet(now, Math::max);
        }
      } else if (!conn.seenConnected && indexOf(l, len, CONNECTED) >= 0) {
        conn.seenConnected = true;
        connected.increment();
      }
    }

    /** Whether the event names a project its stream of several asked for. */
    private boolean named(Conn conn, byte[] l, int len) {
      int at = indexOf(l, len, PROJECT_ID);
      if (at < 0 || at + PROJECT_ID.length + UUID_LENGTH > len) {
        return false;
      }
      var project =
          new String(l, at + PROJECT_ID.length, UUID_LENGTH, StandardCharsets.US_ASCII)
              .toLowerCase(Locale.ROOT);
      return conn.projects.contains(project);
    }

    private int indexOf(byte[] l, int len, byte[] mark) {
      outer:
      for (int i = 0; i <= len - mark.length; i++) {
        for (int j = 0; j < mark.length; j++) {
          if (l[i + j] != mark[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
