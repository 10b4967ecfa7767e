package io.labsos.statusstream.access.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jose4j.jwk.JsonWebKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A key server on a plain socket, to see what the HTTP client does with the connection: one that
 * stops in the middle of its answer is cut off at the fetch's deadline, and holds no caller longer
 * than the longest wait.
 */
class RemoteKeySetTest {

  private static final Duration DEADLINE = Duration.ofMillis(1000);
  private static final Duration LONGEST_WAIT = Duration.ofMillis(500);

  private enum Mode {
    SERVING,
    STALLING,
    HUGE
  }

  private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.SERVING);
  private final AtomicInteger requests = new AtomicInteger();

  /** When the client closed each stalled connection, in nanoTime, after when it was stalled. */
  private final CopyOnWriteArrayList<long[]> stalls = new CopyOnWriteArrayList<>();

  private ServerSocket socket;
  private Thread acceptor;

  private static String jwks() {
    try (var in = RemoteKeySetTest.class.getResourceAsStream("/jwt/jwks.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void startKeyServer() throws IOException {
    socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    acceptor =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                try {
                  var connection = socket.accept();
                  new Thread(() -> answer(connection)).start();
                } catch (IOException closed) {
                  return;
                }
              }
            });
    acceptor.start();
  }

  @AfterEach
  void stopKeyServer() throws Exception {
    socket.close();
    acceptor.join();
  }

  private void answer(Socket connection) {
    try (connection) {
      var in = connection.getInputStream();
      readHeaders(in);
      requests.incrementAndGet();
      var out = connection.getOutputStream();
      var now = mode.get();
      var body =
          (now == Mode.HUGE ? "{\"keys\":[" + " ".repeat(2 << 20) + "]}" : jwks())
              .getBytes(StandardCharsets.UTF_8);
      var headers =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=1\r\n"
              + "Content-Length: "
              + body.length
              + "\r\n\r\n";
      out.write(headers.getBytes(StandardCharsets.US_ASCII));
      if (now == Mode.STALLING) {
        out.write(body, 0, body.length / 2);
        out.flush();
        long stalledAt = System.nanoTime();
        // Nothing more: wait for the client to give up on the connection.
        while (in.read() >= 0) {
          // The client sends nothing more on this connection.
        }
        stalls.add(new long[] {stalledAt, System.nanoTime()});
        return;
      }
      out.write(body);
      out.flush();
      // Keep-alive: answer the next request of the connection too.
      answer(connection);
    } catch (IOException gone) {
      // The client closed the connection.
    }
  }

  private static void readHeaders(InputStream in) throws IOException {
    int matched = 0;
    var end = new int[] {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed");
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  private RemoteKeySet keySet(Duration keep) {
    return new RemoteKeySet(
        URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/jwks"),
        keep,
        DEADLINE,
        LONGEST_WAIT);
  }

  /** The keys of the first fetch, however long a cold HTTP client takes for it. */
  private static List<JsonWebKey> firstKeys(RemoteKeySet keys) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .ignoreException(KeysUnavailable.class)
        .until(keys::keys, k -> !k.isEmpty());
  }

  private static Duration timed(Runnable call) {
    long started = System.nanoTime();
    call.run();
    return Duration.ofNanos(System.nanoTime() - started);
  }

  @Test
  void aStalledAnswerHoldsACallerAtMostTheLongestWaitAndIsCutOffAtItsDeadline() {
    mode.set(Mode.STALLING);
    var keys = keySet(Duration.ofMinutes(1));
    long started = System.nanoTime();
    assertThatThrownBy(keys::keys).isInstanceOf(KeysUnavailable.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isLessThan(LONGEST_WAIT.plusMillis(500));

    await().atMost(DEADLINE.plusSeconds(2)).until(() -> !stalls.isEmpty());
    long closedAfter = stalls.get(0)[1] - started;
    assertThat(Duration.ofNanos(closedAfter))
        .isGreaterThanOrEqualTo(DEADLINE.minusMillis(50))
        .isLessThan(DEADLINE.plusMillis(1500));
  }

  @Test
  void aCallerWhoFindsAFetchPastItsWaitIsAnsweredAtOnce() {
    mode.set(Mode.STALLING);
    var keys = keySet(Duration.ofMinutes(1));
    assertThatThrownBy(keys::keys).isInstanceOf(KeysUnavailable.class);
    // The same stalled fetch, still before its deadline: no one waits for it any more.
    var again = timed(() -> assertThatThrownBy(keys::keys).isInstanceOf(KeysUnavailable.class));
    assertThat(again).isLessThan(Duration.ofMillis(100));
    assertThat(requests.get()).isEqualTo(1);
  }

  @Test
  void keptKeysAnswerAtOnceWhileAFetchStalls() {
    var keys = keySet(Duration.ofMinutes(1));
    var first = firstKeys(keys);
    mode.set(Mode.STALLING);
    int before = requests.get();
    // Fresh for a second (max-age=1); then each call starts or joins a fetch, and does not wait.
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(timed(() -> assertThat(keys.keys()).isSameAs(first)))
                  .isLessThan(Duration.ofMillis(100));
              assertThat(requests.get()).isGreaterThan(before);
            });
  }

  @Test
  void theFetchAfterAStalledOnesDeadlineGetsTheKeysOfARecoveredServer() {
    mode.set(Mode.STALLING);
    var keys = keySet(Duration.ZERO);
    assertThatThrownBy(keys::keys).isInstanceOf(KeysUnavailable.class);
    mode.set(Mode.SERVING);
    // The stalled fetch is cancelled at its deadline; a failed fetch is retried 2 s after it
    // started at the earliest.
    await()
        .atMost(Duration.ofSeconds(4))
        .ignoreException(KeysUnavailable.class)
        .until(() -> !keys.keys().isEmpty());
  }

  @Test
  void aKeySetLargerThanTheLimitIsRefused() {
    mode.set(Mode.HUGE);
    var keys = keySet(Duration.ofMinutes(1));
    assertThatThrownBy(keys::keys).isInstanceOf(KeysUnavailable.class);
  }
}
