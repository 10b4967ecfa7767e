package io.labsos.statusstream.tls.control;

import java.util.List;

/** The PEM files cannot serve TLS; {@link #problems()} says why in fixed texts. */
class UnusableTlsFiles extends Exception {

  private final List<String> problems;

  UnusableTlsFiles(List<String> problems) {
    super(String.join("; ", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  List<String> problems() {
    return problems;
  }
}
