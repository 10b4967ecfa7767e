package it.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between the test's clients and the server: it counts the connections clients open,
 * and cuts them all at once, as a client whose process or network went away does (the server sees
 * its connection end, without a TLS close or an HTTP/2 GOAWAY).
 */
final class Relay implements AutoCloseable {

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  Relay(InetSocketAddress listen, InetSocketAddress target) throws IOException {
    this.target = target;
    listener = new ServerSocket();
    listener.bind(listen);
    daemon("relay-accept", this::accept);
  }

  /** The connections clients opened through the relay. */
  int accepted() {
    return accepted.get();
  }

  /** Ends every connection through the relay, on both sides. */
  void cut() {
    sockets.forEach(Relay::close);
    sockets.clear();
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is all there is to do.
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // The relay was closed.
      }
      accepted.incrementAndGet();
      var server = new Socket();
      try {
        server.connect(target, 5000);
      } catch (IOException refused) {
        // Nothing listens there: the client sees its connection end.
        close(client);
        continue;
      }
      sockets.add(client);
      sockets.add(server);
      daemon("relay-up", () -> pump(client, server));
      daemon("relay-down", () -> pump(server, client));
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // One side ended: end the other.
    } finally {
      close(from);
      close(to);
    }
  }

  private static void daemon(String name, Runnable work) {
    var thread = new Thread(work, name);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws IOException {
    cut();
    listener.close();
  }
}
