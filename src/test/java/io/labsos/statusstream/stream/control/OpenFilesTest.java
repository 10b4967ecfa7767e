package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpenFilesTest {

  @Test
  void theReserveIsATwentiethOfTheLimitAndNeverBelow256() {
    assertThat(OpenFiles.reserve(1_024)).isEqualTo(256);
    assertThat(OpenFiles.reserve(20_000)).isEqualTo(1_000);
    assertThat(OpenFiles.reserve(1_048_576)).isEqualTo(52_428);
  }

  @Test
  void aProcessFarFromItsLimitAdmitsStreams() {
    var files = new OpenFiles();
    files.init();
    for (int i = 0; i < 100; i++) {
      files.admit();
    }
  }
}
