package io.labsos.statusstream.tls.control;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The little of ASN.1 DER that turning a PKCS#1 or SEC1 private key into PKCS#8 needs: reading the
 * elements of a sequence and writing a few elements. Lengths up to 2^31; nothing else of DER.
 */
final class Der {

  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OBJECT_IDENTIFIER = 0x06;
  static final int SEQUENCE = 0x30;

  /** The first context-specific constructed tag, {@code [0]}. */
  static final int CONTEXT_0 = 0xa0;

  /** One element: its tag, and its content without tag and length. */
  record Element(int tag, byte[] content) {

    /** The whole element again: tag, length and content. */
    byte[] encoded() {
      return Der.element(tag, content);
    }
  }

  private Der() {}

  /** The elements of a SEQUENCE, given whole. */
  static List<Element> sequence(byte[] der) {
    var outer = read(der, 0);
    if (outer.element().tag() != SEQUENCE || outer.next() != der.length) {
      throw new IllegalArgumentException("not one DER sequence");
    }
    var elements = new ArrayList<Element>();
    var content = outer.element().content();
    for (int at = 0; at < content.length; ) {
      var read = read(content, at);
      elements.add(read.element());
      at = read.next();
    }
    return elements;
  }

  /** An element and where the next one starts. */
  private record Read(Element element, int next) {}

  private static Read read(byte[] der, int at) {
    if (at + 2 > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    int tag = der[at] & 0xff;
    int length = der[at + 1] & 0xff;
    int start = at + 2;
    if (length > 0x7f) {
      int octets = length & 0x7f;
      if (octets == 0 || octets > 4 || start + octets > der.length) {
        throw new IllegalArgumentException("unsupported DER length");
      }
      length = 0;
      for (int i = 0; i < octets; i++) {
        length = (length << 8) | (der[start + i] & 0xff);
      }
      start += octets;
    }
    if (length < 0 || start + length > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    var content = new byte[length];
    System.arraycopy(der, start, content, 0, length);
    return new Read(new Element(tag, content), start + length);
  }

  /** An element of the given tag and content. */
  static byte[] element(int tag, byte[] content) {
    var out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    if (content.length < 0x80) {
      out.write(content.length);
    } else {
      int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(content.length) + 7) / 8;
      out.write(0x80 | octets);
      for (int i = octets - 1; i >= 0; i--) {
        out.write(content.length >>> (8 * i));
      }
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  /** A SEQUENCE of the given elements, each given whole. */
  static byte[] sequence(byte[]... elements) {
    var content = new ByteArrayOutputStream();
    for (var element : elements) {
      content.writeBytes(element);
    }
    return element(SEQUENCE, content.toByteArray());
  }
}
