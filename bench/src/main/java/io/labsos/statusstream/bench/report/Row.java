package io.labsos.statusstream.bench.report;

import java.util.Map;

/** One scenario's result on one server: its figures, in order, and a note (limits, refusals). */
public record Row(String scenario, String server, Map<String, Figure> figures, String note) {}
