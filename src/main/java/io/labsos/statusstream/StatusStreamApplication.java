package io.labsos.statusstream;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST application: every resource lives under {@code /api}. */
@ApplicationPath("/api")
public class StatusStreamApplication extends Application {}
