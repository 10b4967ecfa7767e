package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path to PostgreSQL goes dead without a reset (a cable pulled, a firewall dropping packets):
 * the listener must notice within its configured bound, not after TCP's hours.
 */
class DeadNetworkIT {

  private static final int PORT = 9185;

  /** Forwards TCP to PostgreSQL until frozen: then it holds every connection open, silently. */
  static final class FreezableProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;

    FreezableProxy(String host, int port) throws IOException {
      listener = new ServerSocket(0);
      daemon(
          () -> {
            while (!listener.isClosed()) {
              try {
                var client = listener.accept();
                var server = new Socket();
                server.connect(new InetSocketAddress(host, port));
                sockets.add(client);
                sockets.add(server);
                pipe(client.getInputStream(), server.getOutputStream());
                pipe(server.getInputStream(), client.getOutputStream());
              } catch (IOException e) {
                // closed
              }
            }
          });
    }

    private static void daemon(Runnable work) {
      var thread = new Thread(work, "freezable-proxy");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    private void pipe(InputStream in, OutputStream out) {
      daemon(
          () -> {
            var buffer = new byte[8192];
            try {
              int n;
              while ((n = in.read(buffer)) > 0) {
                while (frozen) {
                  Thread.sleep(50); // hold the bytes: nothing arrives, nothing is refused
                }
                out.write(buffer, 0, n);
                out.flush();
              }
            } catch (IOException | InterruptedException e) {
              // closed
            }
          });
    }

    void freeze() {
      frozen = true;
    }

    /** The network is back; connections that were cut off are dropped, as TCP would eventually. */
    void thaw() {
      for (var socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
      sockets.clear();
      frozen = false;
    }

    @Override
    public void close() throws IOException {
      listener.close();
      thaw();
    }
  }

  @Test
  void aDeadPathToTheDatabaseIsNoticedWithinTheConfiguredBound(@TempDir Path work)
      throws Exception {
    try (var proxy =
            new FreezableProxy(
                Db.env("DB_HOST", "localhost"), Integer.parseInt(Db.env("DB_PORT", "5432")));
        var server =
            new JarServer(
                    Path.of(System.getProperty("java.home"), "bin", "java"),
                    work,
                    PORT,
                    JarServer.trustingTestTokens(
                        "DB_HOST", "127.0.0.1",
                        "DB_PORT", String.valueOf(proxy.port()),
                        "LISTENER_WAIT_MILLIS", "1000",
                        "LISTENER_SOCKET_TIMEOUT_SECONDS", "3"))
                .start()) {
      var ready = server.uri("/health/ready");
      proxy.freeze();
      var frozenAt = Instant.now();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                var body = Http.get(ready).body();
                return !body.contains("\"listener\":\"connected\"");
              });
      // Wait (1 s) + ping timeout (3 s), plus the health check's own probe: far from TCP's hours.
      assertThat(Duration.between(frozenAt, Instant.now())).isLessThan(Duration.ofSeconds(15));

      proxy.thaw();
      await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(ready).statusCode() == 200);
    }
  }
}
