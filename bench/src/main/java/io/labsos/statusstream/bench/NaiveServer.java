package io.labsos.statusstream.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.postgresql.PGConnection;

/**
 * The baseline: the naive design a straightforward port of the reference guide gives. Each stream
 * opens its own PostgreSQL connection, LISTENs, and on each notification for its project reads the
 * new rows of the same event log and writes them. No authentication (which only flatters it).
 *
 * <p>Run as its own process: {@code NaiveServer <port> <jdbc url> <user> <password>}.
 */
public final class NaiveServer {

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    var url = args[1];
    var user = args[2];
    var password = args.length > 3 ? args[3] : "";
    var server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4096);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/api/projects/",
        exchange -> {
          try (exchange) {
            stream(exchange, url, user, password);
          }
        });
    server.createContext(
        "/health",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
  }

  private static void stream(HttpExchange exchange, String url, String user, String password)
      throws IOException {
    var parts = exchange.getRequestURI().getPath().split("/");
    var project = UUID.fromString(parts[3]);
    try (Connection db = DriverManager.getConnection(url, user, password)) {
      long cursor;
      try (var statement = db.createStatement()) {
        statement.execute("LISTEN status_stream");
      }
      try (var head =
          db.prepareStatement(
              "SELECT coalesce(max(id), 0) FROM status_events WHERE project_id = ?")) {
        head.setObject(1, project);
        try (var rows = head.executeQuery()) {
          rows.next();
          cursor = rows.getLong(1);
        }
      }
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write("data: {\"type\":\"connected\"}\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      var pg = db.unwrap(PGConnection.class);
      var read =
          db.prepareStatement(
              "SELECT id, payload::text FROM status_events WHERE project_id = ? AND id > ?"
                  + " ORDER BY id");
      read.setObject(1, project);
      var key = project.toString();
      long lastWrite = System.nanoTime();
      while (true) {
        var notifications = pg.getNotifications(1000);
        boolean mine = false;
        if (notifications != null) {
          for (var n : notifications) {
            mine |= key.equals(n.getParameter());
          }
        }
        if (!mine) {
          if (System.nanoTime() - lastWrite > 15_000_000_000L) {
            out.write(": keepalive\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            lastWrite = System.nanoTime();
          }
          continue;
        }
        read.setLong(2, cursor);
        try (var rows = read.executeQuery()) {
          while (rows.next()) {
            cursor = rows.getLong(1);
            out.write(
                ("id: " + cursor + "\ndata: " + rows.getString(2) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
          }
        }
        out.flush();
        lastWrite = System.nanoTime();
      }
    } catch (SQLException e) {
      if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
        exchange.sendResponseHeaders(503, -1);
      }
    } catch (IOException e) {
      // the client left
    }
  }
}
