package io.labsos.statusstream.health.boundary;

import io.labsos.statusstream.schema.control.SchemaMigration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * Started once the instance has done what SCHEMA_MIGRATION asks at start: the migrations ran
 * ({@code auto}), the schema was checked ({@code validate}, current or not: an instance waiting for
 * the migration step is not ready, and restarting it would not help), or at once ({@code off}).
 */
@Startup
@ApplicationScoped
public class StartupCheck implements HealthCheck {

  @Inject SchemaMigration schema;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("schema-migrated").status(schema.isSettled()).build();
  }
}
