package io.labsos.statusstream.stream.control;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * An outbox's wire on the Servlet non-blocking output: the response stays open (an async request
 * without timeout), and writes never block: when the container cannot take more it says so through
 * {@code isReady()} and calls {@link #onWritePossible()} later.
 *
 * <p>Below the JAX-RS {@code SseEventSink} on purpose: the sink serialises every event for every
 * subscriber through its message body writer and flushes each one on its own, and a send to a
 * client that stopped reading blocks the sender. Here an event is bytes encoded once, a drain
 * writes all that is queued and flushes once, and nothing blocks.
 */
final class ServletWire implements Outbox.Wire, WriteListener, AsyncListener {

  private final AsyncContext async;
  private final ServletOutputStream out;
  private final Outbox outbox;

  private ServletWire(AsyncContext async, ServletOutputStream out, Outbox outbox) {
    this.async = async;
    this.out = out;
    this.outbox = outbox;
  }

  /** Starts the event stream response and connects it to the outbox. */
  static void attach(HttpServletRequest request, HttpServletResponse response, Outbox outbox)
      throws IOException {
    // Every write leaves at once (a buffer of one byte: the frames come already batched); the
    // headers leave now, before the output turns non-blocking: on Liberty the first write of an
    // uncommitted non-blocking response waits for the next one.
    response.setBufferSize(1);
    headers(response);
    var async = request.isAsyncStarted() ? request.getAsyncContext() : request.startAsync();
    async.setTimeout(0);
    response.flushBuffer();
    var wire = new ServletWire(async, response.getOutputStream(), outbox);
    async.addListener(wire);
    outbox.attach(wire);
    wire.out.setWriteListener(wire);
  }

  /** The status and headers an event stream's response starts with. */
  static void headers(HttpServletResponse response) {
    response.setStatus(HttpServletResponse.SC_OK);
    response.setContentType("text/event-stream");
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
  }

  @Override
  public boolean ready() {
    return out.isReady();
  }

  @Override
  public void write(byte[] bytes, int length) throws IOException {
    out.write(bytes, 0, length);
  }

  @Override
  public void close() {
    try {
      async.complete();
    } catch (IllegalStateException ignored) {
      // Completed already: the container ended the request (client gone, server stopping).
    }
  }

  @Override
  public void onWritePossible() {
    outbox.writable();
  }

  @Override
  public void onError(Throwable failure) {
    outbox.failed(failure);
  }

  @Override
  public void onComplete(AsyncEvent event) {
    outbox.close("request completed");
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    outbox.close("request timed out");
  }

  @Override
  public void onError(AsyncEvent event) {
    outbox.failed(event.getThrowable() != null ? event.getThrowable() : new IOException("error"));
  }

  @Override
  public void onStartAsync(AsyncEvent event) {
    // Not restarted.
  }
}
