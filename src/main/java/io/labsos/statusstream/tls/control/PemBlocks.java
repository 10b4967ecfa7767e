package io.labsos.statusstream.tls.control;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The blocks of a PEM text (RFC 7468): {@code -----BEGIN <label>-----}, base64, {@code -----END
 * <label>-----}. Text between blocks (openssl's "subject=" lines, comments) is ignored, as openssl
 * does.
 */
final class PemBlocks {

  /**
   * One block: its label and the bytes it encodes. {@code encrypted}: a legacy encrypted key (RFC
   * 1421 headers, "Proc-Type: 4,ENCRYPTED"), whose bytes are not decoded.
   */
  record Block(String label, byte[] der, boolean encrypted) {}

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);

  private PemBlocks() {}

  /**
   * @throws IllegalArgumentException when a block's body is not base64
   */
  static List<Block> of(String text) {
    var blocks = new ArrayList<Block>();
    var matcher = BLOCK.matcher(text);
    while (matcher.find()) {
      var body = matcher.group(2);
      if (body.contains(":")) {
        blocks.add(new Block(matcher.group(1), new byte[0], true));
      } else {
        var der = Base64.getDecoder().decode(body.replaceAll("\\s", ""));
        blocks.add(new Block(matcher.group(1), der, false));
      }
    }
    return blocks;
  }
}
