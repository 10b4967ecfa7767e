package io.labsos.statusstream.events.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay that can turn into a black hole: while frozen it keeps every connection open but
 * drops all bytes in both directions, as a dead network path (a pulled cable, a dropped NAT entry)
 * does. For the test that the feed notices a connection that went silent.
 */
final class FreezableProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean frozen;

  FreezableProxy(int port, String targetHost, int targetPort) throws IOException {
    this.server = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    daemon(this::accept, "proxy-accept");
  }

  int port() {
    return server.getLocalPort();
  }

  void freeze() {
    frozen = true;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (var socket : sockets) {
      socket.close();
    }
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        var client = server.accept();
        var upstream = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(upstream);
        daemon(() -> pump(client, upstream), "proxy-up");
        daemon(() -> pump(upstream, client), "proxy-down");
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to) {
    var buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (!frozen) {
          out.write(buffer, 0, n);
          out.flush();
        }
      }
    } catch (IOException e) {
      // One side closed: so does the relay.
    }
  }

  private static void daemon(Runnable task, String name) {
    var thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }
}
