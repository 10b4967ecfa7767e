package io.labsos.statusstream.bench.harness;

import java.util.UUID;

/** A project made for the benchmark: its id, and the ingestion source whose updates are events. */
public record Project(UUID id, UUID source) {}
