package io.labsos.statusstream.events.control;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;

/**
 * Plain TCP sockets that {@link LogicalFeed} can watch: when they last received a byte, and a way
 * to wait until one arrives.
 *
 * <p>Why: pgjdbc's replication stream offers a blocking read that never returns without data, and a
 * non-blocking {@code readPending()} that waits 1 ms for a byte each time it finds none, so polling
 * with it keeps a thread waking a thousand times a second (7 % of a core, measured). The feed waits
 * here instead, in one read with a timeout below pgjdbc's buffers, and hands the byte it got back
 * to pgjdbc's next read. And on a replication stream pgjdbc swallows socket read timeouts (it takes
 * them for "nothing to read yet"), so a dead network path would look like an idle server forever:
 * the feed asks the server for a reply with every status update, and sees here whether anything
 * came back. Both work on bytes below TLS, so they work with TLS as well.
 *
 * <p>pgjdbc creates socket factories itself, by class name (the connection property {@code
 * socketFactory}, with {@code socketFactoryArg} passed to the constructor): hence a public class
 * with a public constructor, and a registry that hands the factory the {@link Watch} of the feed
 * whose connection it makes.
 *
 * <p>Threading: {@link #register} and {@link #unregister} from any thread; a {@link Watch} is used
 * by the one thread that reads its connection; its times and counts may be read from any thread.
 */
public final class FeedSocketFactory extends SocketFactory {

  private static final Map<String, Watch> WATCHES = new ConcurrentHashMap<>();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Watch watch;

  /** Called by pgjdbc with the connection property {@code socketFactoryArg}. */
  public FeedSocketFactory(String key) {
    // Unknown key (never registered, or already unregistered): the socket works, nobody watches.
    this.watch = key == null ? new Watch() : WATCHES.getOrDefault(key, new Watch());
  }

  /** One connection's socket as the feed sees it. */
  static final class Watch {
    private volatile long lastReadNanos = System.nanoTime();
    private volatile long bytesRead;
    private volatile WatchedInput input;
    private volatile boolean sealed;

    /** When the socket last received a byte. */
    long lastReadNanos() {
      return lastReadNanos;
    }

    long bytesRead() {
      return bytesRead;
    }

    /**
     * Keeps the socket attached now for good: later sockets of the same factory are pgjdbc's cancel
     * requests, not the connection.
     */
    void seal() {
      sealed = true;
    }

    /**
     * Waits until the socket has a byte to read, or the timeout passed, or the server closed it.
     * Only between two reads of pgjdbc, on the thread that reads the connection.
     *
     * @return whether something can be read now (or the end of the stream)
     */
    boolean awaitReadable(int timeoutMillis) throws IOException {
      var in = input;
      return in == null || in.awaitReadable(Math.max(1, timeoutMillis));
    }

    private void read(int bytes) {
      lastReadNanos = System.nanoTime();
      bytesRead += bytes; // one reading thread per connection
    }

    private void attach(WatchedInput in) {
      if (!sealed) {
        input = in; // the last socket of a connection attempt is the one that connected
      }
    }
  }

  /** Makes {@code watch} the one of the next connection opened with the key returned. */
  static String register(Watch watch) {
    var bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    String key = HexFormat.of().formatHex(bytes);
    WATCHES.put(key, watch);
    return key;
  }

  static void unregister(String key) {
    WATCHES.remove(key);
  }

  @Override
  public Socket createSocket() {
    return new WatchedSocket(watch);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return connected(
        new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(
        new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  private Socket connected(InetSocketAddress address) throws IOException {
    return connected(address, null);
  }

  /** A socket of ours bound to {@code local} (unless null) and connected to {@code address}. */
  private Socket connected(InetSocketAddress address, InetSocketAddress local) throws IOException {
    var socket = createSocket();
    if (local != null) {
      socket.bind(local);
    }
    socket.connect(address);
    return socket;
  }

  private static final class WatchedSocket extends Socket {
    private final Watch watch;
    private WatchedInput in;

    WatchedSocket(Watch watch) {
      this.watch = watch;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) {
        in = new WatchedInput(this, super.getInputStream(), watch);
        watch.attach(in);
      }
      return in;
    }
  }

  /** The socket's bytes, with room for the one byte that a wait took ahead of pgjdbc. */
  private static final class WatchedInput extends FilterInputStream {
    private final Socket socket;
    private final Watch watch;
    private int ahead = -1;
    private boolean ended;

    WatchedInput(Socket socket, InputStream in, Watch watch) {
      super(in);
      this.socket = socket;
      this.watch = watch;
    }

    boolean awaitReadable(int timeoutMillis) throws IOException {
      if (ahead >= 0 || ended || in.available() > 0) {
        return true;
      }
      int previous = socket.getSoTimeout();
      socket.setSoTimeout(timeoutMillis);
      try {
        int b = in.read();
        if (b < 0) {
          ended = true;
        } else {
          ahead = b;
          watch.read(1);
        }
        return true;
      } catch (SocketTimeoutException e) {
        return false;
      } finally {
        if (!socket.isClosed()) {
          socket.setSoTimeout(previous);
        }
      }
    }

    @Override
    public int read() throws IOException {
      if (ahead >= 0) {
        int b = ahead;
        ahead = -1;
        return b;
      }
      if (ended) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        watch.read(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      if (ahead >= 0) {
        buffer[offset] = (byte) ahead;
        ahead = -1;
        return 1;
      }
      if (ended) {
        return -1;
      }
      int n = in.read(buffer, offset, length);
      if (n > 0) {
        watch.read(n);
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return (ahead >= 0 ? 1 : 0) + in.available();
    }

    @Override
    public long skip(long n) throws IOException {
      if (n > 0 && ahead >= 0) {
        ahead = -1;
        return 1;
      }
      return super.skip(n);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
